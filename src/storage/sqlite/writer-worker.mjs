// @ts-check
/**
 * The connection that writes, in a worker thread of writer.ts: every upload group's commit,
 * every prune statement and the writes of the other stores (notices, shares, mailboxes) run here, so that a disk that stalls in write() or fsync() holds this
 * thread, not the one that answers requests. Plain JavaScript: Node 20 does not run TypeScript
 * in worker threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { openRecord, recordPathOf } from './acknowledged-record.mjs';
import { groupWriter } from './write-group.mjs';

/** @typedef {{ path: string, busyTimeoutMs: number, cacheKib: number, walPages: number, sql: import('./write-group.mjs').WriteSql }} WriterOptions */
/** @typedef {{ id: number, kind: 'write', group: import('./write-group.mjs').Batch[] } | { id: number, kind: 'run', sql: string, params: unknown[] } | { id: number, kind: 'batch', statements: Array<{ sql: string, params: unknown[] }> } | { id: number, kind: 'close' }} WriterRequest */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const options = /** @type {WriterOptions} */ (workerData);
const db = new Database(options.path, { fileMustExist: true });
// Per connection: the store's durability promise is this connection's to keep.
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
db.pragma(`cache_size = -${options.cacheKib}`);
// Per connection too: the commits that grow the WAL are this connection's, and so is the bound
// on how much acknowledged data rests in the WAL alone until it checkpoints.
db.pragma(`wal_autocheckpoint = ${options.walPages}`);
const write = groupWriter(db, options.sql);
const acknowledge = db.prepare(options.sql.acknowledge);
const acknowledged = db.prepare(options.sql.acknowledged);
const record = openRecord(recordPathOf(options.path));
/**
 * What a commit acknowledged goes to the record before anyone is told (acknowledged-record.mjs).
 * @template T @param {T} answer @returns {T}
 */
const recorded = (answer) => {
  const row = /** @type {{ identity: string, writes: number } | undefined} */ (acknowledged.get());
  try {
    if (row) record.write(row);
  } catch (error) {
    // Committed but not recorded: not acknowledged either, and "not now" (a full or failing disk) to the caller.
    throw Object.assign(
      new Error(`the record of acknowledged writes failed: ${/** @type {Error} */ (error).message}`),
      {
        code: 'SQLITE_IOERR_WRITE',
      },
    );
  }
  return answer;
};

/** @param {unknown} error */
const cloneable = (error) => {
  const { message, code } = /** @type {{ message: string, code?: unknown }} */ (error);
  return { message, code };
};

port.on('message', (/** @type {WriterRequest} */ request) => {
  try {
    if (request.kind === 'write') {
      const results = recorded(write(request.group)).map((result) =>
        'error' in result ? { error: cloneable(result.error) } : result,
      );
      port.postMessage({ id: request.id, results });
    } else if (request.kind === 'batch') {
      // Statements of the stores written once for SQLite and D1 (sql-executor.ts), in one
      // transaction: each answers its rows, or none when it returns none.
      const rows = recorded(
        db
          .transaction(() => {
            const rows = request.statements.map(({ sql, params }) => {
              const statement = db.prepare(sql);
              return statement.reader ? statement.all(...params) : (statement.run(...params), []);
            });
            acknowledge.run();
            return rows;
          })
          .immediate(),
      );
      port.postMessage({ id: request.id, rows });
    } else if (request.kind === 'close') {
      // The thread's file descriptors are the process's: they outlive a terminated thread.
      record.close();
      db.close();
      port.postMessage({ id: request.id, changes: 0 });
    } else {
      port.postMessage({ id: request.id, changes: db.prepare(request.sql).run(...request.params).changes });
    }
  } catch (error) {
    port.postMessage({ id: request.id, error: cloneable(error) });
  }
});
