/**
 * Read-only connections to the report database in worker threads, so that one owner query
 * runs its days on several cores at once. better-sqlite3 is synchronous, so a second core can
 * only be used from a second thread; WAL lets readers run beside the writer.
 *
 * The calling thread and the readers take statements from one shared counter, each the next
 * not yet taken, so the work balances itself, and a reader that wakes late (a busy or
 * descheduled core) finds nothing left instead of holding the query up: a shared query takes
 * at most about as long as one thread alone. Each statement answers one blob (or null);
 * statements and blobs cross between threads packed (reader-messages.mjs).
 */
import { Worker } from 'node:worker_threads';
import { blobAt, packStatements, type PackedBlobs } from './reader-messages.mjs';
import type { ReportStatement } from '../report-sql.ts';
import { StoreUnavailableError } from '../store.ts';

/** What a statement answers: the one value of its one row, a blob, or null. */
export type StatementBlob = Uint8Array | null;

export interface SqliteReaderOptions {
  readonly busyTimeoutMs: number;
  readonly cacheKib: number;
  readonly mmapBytes: number;
  readonly maxCachedStatements: number;
}

/** What a reader did with one shared request: which statements it took, and their blobs in that order. */
interface ShareAnswer {
  readonly taken: number[];
  readonly blobs: PackedBlobs;
}

interface PendingShare {
  resolve: (answer: ShareAnswer) => void;
  reject: (error: unknown) => void;
}

type ReaderMessage = ({ id: number } & ShareAnswer) | { id: number; error: { message: string; code?: unknown } };

interface Reader {
  readonly worker: Worker;
  readonly pending: Map<number, PendingShare>;
}

const WORKER_URL = new URL('./reader-worker.mjs', import.meta.url);

/**
 * @example const readers = new SqliteReaders('./data/crowdfind.db', 1, READER_OPTIONS); await readers.share(statements, runHere);
 */
export class SqliteReaders {
  readonly #path: string;
  readonly #options: SqliteReaderOptions;
  readonly #readers: Array<Reader | undefined>;
  #nextId = 0;
  #closed = false;

  constructor(path: string, count: number, options: SqliteReaderOptions) {
    this.#path = path;
    this.#options = options;
    this.#readers = Array.from({ length: count }, () => undefined);
    for (let slot = 0; slot < count; slot++) this.#reader(slot);
  }

  /** How many readers run beside the caller's own connection; 0 once closed. */
  get size(): number {
    return this.#closed ? 0 : this.#readers.length;
  }

  /**
   * Runs every statement once, on this thread (`runHere`) or on a reader, whichever takes it
   * first; resolves to each statement's blob, in the statements' order (a reader's null comes
   * back as an empty blob). Fails as unavailable when a reader that took a statement stops
   * before answering (a stopped reader is started again for the next request).
   */
  share(
    statements: readonly ReportStatement[],
    runHere: (statement: ReportStatement) => StatementBlob,
  ): Promise<StatementBlob[]> {
    const results: StatementBlob[] = Array.from({ length: statements.length });
    const next = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const packed = packStatements(statements);
    const answers = this.#closed
      ? []
      : this.#readers.map((_, slot) => this.#ask(slot, { statements: packed, next: next.buffer }));
    // Handled below; if this thread's own part throws first, a reader's failure must not go unhandled.
    for (const answer of answers) answer.catch(() => {});
    let missing = statements.length;
    for (let k = Atomics.add(next, 0, 1); k < statements.length; k = Atomics.add(next, 0, 1)) {
      results[k] = runHere(statements[k]!);
      missing--;
    }
    return new Promise((resolve, reject) => {
      const done = () => resolve(results);
      if (missing === 0) return done();
      for (const answer of answers) {
        answer.then(({ taken, blobs }) => {
          taken.forEach((k, i) => {
            results[k] = blobAt(blobs, i);
            missing--;
          });
          if (missing === 0) done();
        }, reject);
      }
    });
  }

  /** Stops every reader; requests still in flight fail as unavailable. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#readers.map((reader) => reader?.worker.terminate()));
  }

  #ask(slot: number, request: object): Promise<ShareAnswer> {
    const reader = this.#reader(slot);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      reader.pending.set(id, { resolve, reject });
      reader.worker.postMessage({ id, ...request });
    });
  }

  #reader(slot: number): Reader {
    const existing = this.#readers[slot];
    if (existing) return existing;
    // Plain JavaScript: no loader flags of the main thread (tsx) are needed in a reader.
    const worker = new Worker(WORKER_URL, { workerData: { path: this.#path, ...this.#options }, execArgv: [] });
    // The server's own handles keep the process alive; readers never should.
    worker.unref();
    const reader: Reader = { worker, pending: new Map() };
    worker.on('message', (message: ReaderMessage) => {
      const pending = reader.pending.get(message.id);
      reader.pending.delete(message.id);
      if ('error' in message) pending?.reject(readError(message.error));
      else pending?.resolve(message);
    });
    const stopped = (why: string) => {
      if (this.#readers[slot] === reader) this.#readers[slot] = undefined;
      for (const pending of reader.pending.values())
        pending.reject(new StoreUnavailableError(`a database reader stopped (${why})`));
      reader.pending.clear();
    };
    worker.on('error', (error) => stopped(error.name));
    worker.on('exit', (code) => stopped(`exit ${code}`));
    this.#readers[slot] = reader;
    return reader;
  }
}

/** The reader's SQLite error as the main connection would have raised it, code included. */
function readError({ message, code }: { message: string; code?: unknown }): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}
