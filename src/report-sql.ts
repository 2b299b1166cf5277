/**
 * The SQL every store runs, written once. Statements use positional parameters so that
 * better-sqlite3 and D1 bind them alike; queries name each storage bucket of their window so
 * that SQLite seeks (bucket, id) pairs on the primary key instead of scanning the window.
 */
import { HASHED_ID_LENGTH } from '../crypto/index.ts';
import { bucketOf } from '../schema/schema.ts';
import type { ReportQuery, StoredReport } from './store.ts';

export const INSERT_REPORT_SQL = 'INSERT OR IGNORE INTO reports (bucket, hashed_id, timestamp, payload, received_at) VALUES (?, ?, ?, ?, ?)';
/** Bound parameters per inserted row. */
export const INSERT_PARAMETERS_PER_ROW = 5;

/** {@link INSERT_REPORT_SQL} for `rows` rows in one statement (D1 pays per statement). */
export function insertReportsSql(rows: number): string {
  return INSERT_REPORT_SQL.replace('(?, ?, ?, ?, ?)', Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', '));
}

/** Removes whole expired buckets: a range delete at the left edge of the table. */
export const PRUNE_BUCKETS_SQL = 'DELETE FROM reports WHERE bucket < ?';
/** Removes the expired part of the one bucket the cut-off falls in. */
export const PRUNE_EDGE_SQL = 'DELETE FROM reports WHERE bucket = ? AND timestamp < ?';

export const PING_SQL = 'SELECT 1';

/** Row shape of {@link countStoredSql}. */
export interface CountRow {
  bucket: number;
  hashed_id: Uint8Array | ArrayBuffer;
  stored: number;
}

/** Stored reports per (bucket, hashed id) pair; 2 bound parameters per pair. Pairs with none are absent. */
export function countStoredSql(pairs: number): string {
  return `SELECT bucket, hashed_id, count(*) AS stored FROM reports WHERE (bucket, hashed_id) IN (VALUES ${Array.from({ length: pairs }, () => '(?, ?)').join(', ')}) GROUP BY bucket, hashed_id`;
}

/**
 * Row shape of {@link selectReports}: the hashed id and the payload come back as one blob,
 * `record` (32 + 88 or 89 bytes), because a driver allocates a buffer per blob and an owner
 * query returns thousands of rows (1–2 ms of 10–11 ms of SQL at 1M reports). `||` joins the
 * bytes as text in a UTF-8 database; the CAST makes the result a blob again, byte for byte.
 */
export interface ReportRow {
  record: Uint8Array | ArrayBuffer;
  timestamp: number;
  received_at: number;
}

/** A stored report from a {@link ReportRow}'s fields; hashed id and payload are views of the record. */
export function storedReportOf(record: Uint8Array, timestamp: number, receivedAt: number): StoredReport {
  return { hashedId: record.subarray(0, HASHED_ID_LENGTH), payload: record.subarray(HASHED_ID_LENGTH), timestamp, receivedAt };
}

/** A report query with its own WHERE condition on buckets and ids; the rest is shared. */
function selectWhere(condition: string, conditionParams: readonly unknown[], query: ReportQuery): { sql: string; params: unknown[] } {
  const after = query.after ? ' AND (timestamp, hashed_id, payload) > (?, ?, ?)' : '';
  const sql =
    `SELECT CAST(hashed_id || payload AS BLOB) AS record, timestamp, received_at FROM reports ` +
    `WHERE ${condition} AND timestamp BETWEEN ? AND ?${after} ORDER BY timestamp, hashed_id, payload LIMIT ?`;
  const params: unknown[] = [...conditionParams, query.since, query.until];
  if (query.after) params.push(query.after.timestamp, query.after.hashedId, query.after.payload);
  params.push(query.limit);
  return { sql, params };
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Bound parameters of {@link selectReports} besides its ids. */
export function selectReportsFixedParameters(query: ReportQuery): number {
  return bucketOf(query.until) - bucketOf(query.since) + 1 + 2 + (query.after ? 3 : 0) + 1;
}

/**
 * A query over `hashedIds` (the caller chunks ids to its driver's parameter limit) in every
 * bucket of the window; bound parameters: {@link selectReportsFixedParameters} + ids.
 */
export function selectReports(query: ReportQuery, hashedIds: readonly Uint8Array[]): { sql: string; params: unknown[] } {
  const buckets: number[] = [];
  for (let b = bucketOf(query.since); b <= bucketOf(query.until); b++) buckets.push(b);
  return selectWhere(`bucket IN (${marks(buckets.length)}) AND hashed_id IN (${marks(hashedIds.length)})`, [...buckets, ...hashedIds], query);
}
