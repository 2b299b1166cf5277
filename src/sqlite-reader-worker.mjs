// @ts-check
/**
 * One read-only connection to the report database, in a worker thread of sqlite-readers.ts.
 * It runs the statements it is sent, in order, and answers with their rows packed in one
 * transferred buffer. Plain JavaScript: Node 20 does not run TypeScript in worker threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { packReportRows, unpackStatements } from './reader-messages.mjs';

/** @typedef {import('./sqlite-readers.ts').SqliteReaderOptions & { path: string }} ReaderOptions */
/** @typedef {{ id: number, statements: import('./reader-messages.mjs').PackedStatements, limit: number }} ReadRequest */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const options = /** @type {ReaderOptions} */ (workerData);
const db = new Database(options.path, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
db.pragma(`cache_size = -${options.cacheKib}`);
db.pragma(`mmap_size = ${options.mmapBytes}`);

/** @type {Map<string, import('better-sqlite3').Statement>} */
const prepared = new Map();
/** @param {string} sql */
function statement(sql) {
  let found = prepared.get(sql);
  if (!found) {
    if (prepared.size >= options.maxCachedStatements) prepared.delete(/** @type {string} */ (prepared.keys().next().value));
    prepared.set(sql, (found = db.prepare(sql).raw(true)));
  }
  return found;
}

port.on('message', (/** @type {ReadRequest} */ { id, statements, limit }) => {
  try {
    /** @type {Array<[Uint8Array, number, number]>} */
    const rows = [];
    // Each statement returns its own first `limit` rows in order; once that many are in
    // hand, later statements (later days) cannot contribute to the page.
    for (const { sql, params } of unpackStatements(statements)) {
      if (rows.length >= limit) break;
      for (const row of statement(sql).all(...params)) rows.push(/** @type {[Uint8Array, number, number]} */ (row));
    }
    const packed = packReportRows(rows.slice(0, limit));
    port.postMessage({ id, packed }, [packed.buffer]);
  } catch (error) {
    const { message, code } = /** @type {{ message: string, code?: unknown }} */ (error);
    port.postMessage({ id, error: { message, code } });
  }
});
