/**
 * The report database's writing connection in a worker thread (writer-worker.mjs): commits and
 * prunes run there, one request at a time in the order sent, so that a stalled disk holds that
 * thread while the server thread keeps answering, and can say how long a write has waited.
 */
import { Worker } from 'node:worker_threads';
import type { Batch, BatchResult, WriteSql } from './write-group.mjs';

/** What a failed request's error keeps across threads. */
export interface WriterError {
  readonly message: string;
  readonly code?: unknown;
}

type Answer =
  | { results: Array<BatchResult | { error: WriterError }> }
  | { changes: number }
  | { rows: unknown[][] }
  | { error: WriterError };

const WORKER_URL = new URL('./writer-worker.mjs', import.meta.url);

/** An error from the writer thread, with SQLite's code, as the store's failure handling reads it. */
function writerError({ message, code }: WriterError): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * @example const writer = new SqliteWriter(path, WRITER_OPTIONS, WRITE_SQL); await writer.write(batches);
 */
export class SqliteWriter {
  readonly #workerData: object;
  #worker: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (answer: Answer) => void; reject: (error: unknown) => void; sentAt: number }
  >();
  #nextId = 0;
  #closing = false;

  constructor(path: string, options: { busyTimeoutMs: number; cacheKib: number; walPages: number }, sql: WriteSql) {
    this.#workerData = { path, ...options, sql };
    this.#worker = this.#start();
  }

  /**
   * A writer thread. One that stops unasked (a crash, out of memory) fails what it held as
   * "not now", and the next request gets a new thread: its transaction rolled back with it.
   */
  #start(): Worker {
    const worker = new Worker(WORKER_URL, { workerData: this.#workerData });
    worker.on('message', (answer: Answer & { id: number }) => {
      const waiting = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      waiting?.resolve(answer);
    });
    const failAll = (error: unknown) => {
      for (const waiting of this.#pending.values()) waiting.reject(error);
      this.#pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', () => {
      failAll(Object.assign(new Error('the writer thread stopped'), { code: 'SQLITE_IOERR' }));
      if (!this.#closing) this.#worker = this.#start();
    });
    return worker;
  }

  /** Requests sent and not yet answered. */
  get depth(): number {
    return this.#pending.size;
  }

  /** How long the oldest unanswered request has waited, in ms; 0 when none waits. */
  get waitingMs(): number {
    let oldest = Infinity;
    for (const { sentAt } of this.#pending.values()) oldest = Math.min(oldest, sentAt);
    return oldest === Infinity ? 0 : performance.now() - oldest;
  }

  /** Writes a group of batches in one transaction; each batch's result, or its error. */
  async write(group: Batch[]): Promise<Array<BatchResult | { error: Error }>> {
    const answer = await this.#ask({ kind: 'write', group });
    if ('error' in answer) throw writerError(answer.error);
    if (!('results' in answer)) throw new Error('the writer answered a write with no results');
    return answer.results.map((result) => ('error' in result ? { error: writerError(result.error) } : result));
  }

  /** Runs one writing statement; how many rows it changed. */
  async run(sql: string, params: unknown[]): Promise<number> {
    const answer = await this.#ask({ kind: 'run', sql, params });
    if ('error' in answer) throw writerError(answer.error);
    if (!('changes' in answer)) throw new Error('the writer answered a statement with no count');
    return answer.changes;
  }

  /** Runs statements in one transaction; the rows each returned (none for a statement that returns none). */
  async batch(statements: ReadonlyArray<{ sql: string; params: readonly unknown[] }>): Promise<unknown[][]> {
    const answer = await this.#ask({ kind: 'batch', statements });
    if ('error' in answer) throw writerError(answer.error);
    if (!('rows' in answer)) throw new Error('the writer answered a batch with no rows');
    return answer.rows;
  }

  /** Stops the thread once the requests sent are answered. */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    this.#closing = true;
    await this.#ask({ kind: 'close' }).catch(() => {});
    await this.#worker.terminate();
  }

  #ask(request: object): Promise<Answer> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, sentAt: performance.now() });
      this.#worker.postMessage({ id, ...request });
    });
  }
}
