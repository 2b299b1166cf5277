/**
 * Read-only connections to the report database in worker threads, so that one owner query
 * runs its days on several cores at once. better-sqlite3 is synchronous, so a second core can
 * only be used from a second thread; WAL lets readers run beside the writer. Statements and
 * rows cross between threads packed (reader-messages.mjs).
 *
 * Measured on the 1M bench database, two cores: the SQL of a 672-id week took 9.6–11.9 ms
 * p50 on the main connection alone, and 6.4–6.7 ms split over it and one reader (BENCHMARKS.md).
 */
import { Worker } from 'node:worker_threads';
import { packStatements, unpackReports } from './reader-messages.mjs';
import { StoreUnavailableError, type StoredReport } from './store.ts';

/** A statement of selectReports with its parameters. */
export interface ReportStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface SqliteReaderOptions {
  readonly busyTimeoutMs: number;
  readonly cacheKib: number;
  readonly mmapBytes: number;
  readonly maxCachedStatements: number;
}

interface PendingRead {
  resolve: (reports: StoredReport[]) => void;
  reject: (error: unknown) => void;
}

type ReadAnswer = { id: number; packed: Uint8Array } | { id: number; error: { message: string; code?: unknown } };

interface Reader {
  readonly worker: Worker;
  readonly pending: Map<number, PendingRead>;
}

const WORKER_URL = new URL('./sqlite-reader-worker.mjs', import.meta.url);

/**
 * @example const readers = new SqliteReaders('./data/crowdfind.db', 1, options); await readers.read(statements, 1000);
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
   * Runs `statements` in order on the least busy reader and resolves to their rows, at most
   * `limit`. A reader that stops (it should not) fails its reads as unavailable and is started
   * again for the next one.
   */
  read(statements: readonly ReportStatement[], limit: number): Promise<StoredReport[]> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the database readers are closed'));
    let slot = 0;
    for (let s = 1; s < this.#readers.length; s++) if ((this.#readers[s]?.pending.size ?? 0) < (this.#readers[slot]?.pending.size ?? 0)) slot = s;
    const reader = this.#reader(slot);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      reader.pending.set(id, { resolve, reject });
      const packed = packStatements(statements);
      reader.worker.postMessage({ id, statements: packed, limit }, [packed.blobs.buffer]);
    });
  }

  /** Stops every reader; reads still in flight fail as unavailable. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#readers.map((reader) => reader?.worker.terminate()));
  }

  #reader(slot: number): Reader {
    const existing = this.#readers[slot];
    if (existing) return existing;
    // Plain JavaScript: no loader flags of the main thread (tsx) are needed in a reader.
    const worker = new Worker(WORKER_URL, { workerData: { path: this.#path, ...this.#options }, execArgv: [] });
    // The server's own handles keep the process alive; readers never should.
    worker.unref();
    const reader: Reader = { worker, pending: new Map() };
    worker.on('message', (answer: ReadAnswer) => {
      const pending = reader.pending.get(answer.id);
      reader.pending.delete(answer.id);
      if ('packed' in answer) pending?.resolve(unpackReports(answer.packed));
      else pending?.reject(readError(answer.error));
    });
    const stopped = (why: string) => {
      if (this.#readers[slot] === reader) this.#readers[slot] = undefined;
      for (const pending of reader.pending.values()) pending.reject(new StoreUnavailableError(`a database reader stopped (${why})`));
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
