/**
 * The SQL every store runs, written once. Statements use positional parameters so that
 * better-sqlite3 and D1 bind them alike; queries name each storage bucket of their window so
 * that SQLite seeks (bucket, id) pairs on the primary key instead of scanning the window.
 */
import { bucketOf } from '../schema/schema.ts';
import type { ReportQuery } from './store.ts';

export const INSERT_REPORT_SQL = 'INSERT OR IGNORE INTO reports (bucket, hashed_id, timestamp, payload, received_at) VALUES (?, ?, ?, ?, ?)';

/** Removes whole expired buckets: a range delete at the left edge of the table. */
export const PRUNE_BUCKETS_SQL = 'DELETE FROM reports WHERE bucket < ?';
/** Removes the expired part of the one bucket the cut-off falls in. */
export const PRUNE_EDGE_SQL = 'DELETE FROM reports WHERE bucket = ? AND timestamp < ?';

export const PING_SQL = 'SELECT 1';

/** Row shape of {@link selectReports}. */
export interface ReportRow {
  hashed_id: Uint8Array | ArrayBuffer;
  payload: Uint8Array | ArrayBuffer;
  timestamp: number;
  received_at: number;
}

/**
 * The statement and parameters for a query over `hashedIds` (the caller chunks ids to its
 * driver's parameter limit); bound parameters: buckets + ids + 2 + 3 with a cursor + 1.
 */
export function selectReports(query: ReportQuery, hashedIds: readonly Uint8Array[]): { sql: string; params: unknown[] } {
  const buckets: number[] = [];
  for (let b = bucketOf(query.since); b <= bucketOf(query.until); b++) buckets.push(b);
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const after = query.after ? ' AND (timestamp, hashed_id, payload) > (?, ?, ?)' : '';
  const sql =
    `SELECT hashed_id, payload, timestamp, received_at FROM reports ` +
    `WHERE bucket IN (${marks(buckets.length)}) AND hashed_id IN (${marks(hashedIds.length)}) AND timestamp BETWEEN ? AND ?${after} ` +
    `ORDER BY timestamp, hashed_id, payload LIMIT ?`;
  const params: unknown[] = [...buckets, ...hashedIds, query.since, query.until];
  if (query.after) params.push(query.after.timestamp, query.after.hashedId, query.after.payload);
  params.push(query.limit);
  return { sql, params };
}

/** Parameters of a query besides its ids: what a driver with a parameter cap must leave room for. */
export function fixedParameterCount(query: ReportQuery): number {
  return bucketOf(query.until) - bucketOf(query.since) + 1 + 2 + (query.after ? 3 : 0) + 1;
}
