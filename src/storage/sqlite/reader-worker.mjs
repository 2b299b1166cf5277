// @ts-check
/**
 * One read-only connection to the report database, in a worker thread of readers.ts.
 * For each request it takes statements, one at a time, from the counter it shares with the
 * store and the other readers, runs them, and answers with which it ran and the blob (a report
 * bundle) each returned, packed in one transferred buffer. Plain JavaScript: Node 20 does not
 * run TypeScript in worker threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { packBlobs, unpackStatements } from './reader-messages.mjs';
import { statementCache } from './statement-cache.mjs';

/** @typedef {import('./readers.ts').SqliteReaderOptions & { path: string }} ReaderOptions */
/** @typedef {{ id: number, statements: import('./reader-messages.mjs').PackedStatements, next: SharedArrayBuffer }} ShareRequest */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const options = /** @type {ReaderOptions} */ (workerData);
const db = new Database(options.path, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
db.pragma(`cache_size = -${options.cacheKib}`);
db.pragma(`mmap_size = ${options.mmapBytes}`);

const statement = statementCache(db, options.maxCachedStatements);

port.on('message', (/** @type {ShareRequest} */ { id, statements, next }) => {
  try {
    const counter = new Int32Array(next);
    /** @type {number[]} */
    const taken = [];
    /** @type {Array<Uint8Array | null>} */
    const blobs = [];
    // Unpacked only once a statement is taken: under load the calling thread often has taken them all.
    /** @type {import('./reader-messages.mjs').Statement[] | undefined} */
    let list;
    for (let k = Atomics.add(counter, 0, 1); k < statements.sqls.length; k = Atomics.add(counter, 0, 1)) {
      list ??= unpackStatements(statements);
      const { sql, params } = /** @type {import('./reader-messages.mjs').Statement} */ (list[k]);
      blobs.push(
        /** @type {Uint8Array | null} */ (
          statement(sql)
            .pluck(true)
            .get(...params)
        ),
      );
      taken.push(k);
    }
    const answer = packBlobs(blobs);
    port.postMessage({ id, taken, blobs: answer }, [answer.packed.buffer]);
  } catch (error) {
    const { message, code } = /** @type {{ message: string, code?: unknown }} */ (error);
    port.postMessage({ id, error: { message, code } });
  }
});
