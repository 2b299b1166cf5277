// @ts-check
/**
 * The connection that writes, in a worker thread of writer.ts: every upload group's commit and
 * every prune statement run here, so that a disk that stalls in write() or fsync() holds this
 * thread, not the one that answers requests. Plain JavaScript: Node 20 does not run TypeScript
 * in worker threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { groupWriter } from './write-group.mjs';

/** @typedef {{ path: string, busyTimeoutMs: number, cacheKib: number, sql: import('./write-group.mjs').WriteSql }} WriterOptions */
/** @typedef {{ id: number, kind: 'write', group: import('./write-group.mjs').Batch[] } | { id: number, kind: 'run', sql: string, params: unknown[] }} WriterRequest */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const options = /** @type {WriterOptions} */ (workerData);
const db = new Database(options.path, { fileMustExist: true });
// Per connection: the store's durability promise is this connection's to keep.
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
db.pragma(`cache_size = -${options.cacheKib}`);
const write = groupWriter(db, options.sql);

/** @param {unknown} error */
const cloneable = (error) => {
  const { message, code } = /** @type {{ message: string, code?: unknown }} */ (error);
  return { message, code };
};

port.on('message', (/** @type {WriterRequest} */ request) => {
  try {
    if (request.kind === 'write') {
      const results = write(request.group).map((result) =>
        'error' in result ? { error: cloneable(result.error) } : result,
      );
      port.postMessage({ id: request.id, results });
    } else {
      port.postMessage({ id: request.id, changes: db.prepare(request.sql).run(...request.params).changes });
    }
  } catch (error) {
    port.postMessage({ id: request.id, error: cloneable(error) });
  }
});
