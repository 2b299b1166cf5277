/**
 * The stores the app needs, on one SQLite connection with no reader or writer threads: what
 * tests and benchmarks build an app from (the Node server adds its threads; runtime/node/server.ts).
 */
import type Database from 'better-sqlite3';
import { sqliteExecutor } from '../sql-executor.ts';
import { SqlNoticeStore } from '../notices/store.ts';
import { SqlShareStore } from '../shares/store.ts';
import { SqlMailboxStore } from '../mailboxes/store.ts';
import { SqlAttachmentStore } from '../attachments/sql.ts';
import { SqliteReportStore } from './store.ts';

/** @example createApp({ ...appStores(openDatabase(':memory:')), config: DEFAULT_CONFIG }) */
export function appStores(db: Database.Database) {
  const sql = sqliteExecutor(db);
  return {
    store: new SqliteReportStore(db),
    notices: new SqlNoticeStore([sql]),
    shares: new SqlShareStore([sql]),
    mailboxes: new SqlMailboxStore([sql]),
    attachments: new SqlAttachmentStore(sql),
  };
}
