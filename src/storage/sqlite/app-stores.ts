/**
 * Both stores the app needs, on one SQLite connection with no reader or writer threads: what
 * tests and benchmarks build an app from (the Node server adds its threads; runtime/node/server.ts).
 */
import type Database from 'better-sqlite3';
import { sqliteExecutor } from '../notices/executor.ts';
import { SqlNoticeStore } from '../notices/store.ts';
import { SqliteReportStore } from './store.ts';

/** @example createApp({ ...appStores(openDatabase(':memory:')), config: DEFAULT_CONFIG }) */
export function appStores(db: Database.Database) {
  return { store: new SqliteReportStore(db), notices: new SqlNoticeStore(sqliteExecutor(db)) };
}
