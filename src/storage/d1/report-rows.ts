/**
 * The D1 store's own SQL shapes: multi-row inserts and per-day counts that fit many rows in
 * D1's 100 bound parameters (a Worker pays per statement), and query rows whose hashed id and
 * payload come back as one blob, `record`
 * (32 + 88 or 89 bytes), because a driver converts each blob on its own and an owner query
 * returns thousands of rows.
 */
import { HASHED_ID_LENGTH } from '../../../crypto/index.ts';
import { BUCKET_SECONDS, SEAL_SQL } from '../../../schema/schema.ts';
import { selectMatching, type ReportStatement } from '../report-sql.ts';
import type { ReportQuery, StoredReport } from '../store.ts';

/** Bound parameters per inserted row: hashed id, timestamp, payload. */
export const INSERT_PARAMETERS_PER_ROW = 3;

/**
 * The insert for `rows` rows in one statement, bound as the time received, then each row's
 * hashed id, timestamp and payload. The bucket and the seal are computed in SQL and the time
 * received bound once, so that a statement holds 33 rows where five parameters a row allowed 20: D1 counts
 * statements against a Worker's per-request budget.
 */
export function insertReportsSql(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?, ?)').join(', ');
  return (
    'INSERT OR IGNORE INTO reports (bucket, hashed_id, timestamp, payload, received_at, seal) ' +
    `SELECT CAST(column2 / ${BUCKET_SECONDS} AS INTEGER), column1, column2, column3, ?, ${SEAL_SQL('column3')} ` +
    `FROM (VALUES ${values})`
  );
}

/** Row shape of {@link countStoredInBucketSql}. */
export interface BucketCountRow {
  hashed_id: Uint8Array | ArrayBuffer;
  stored: number;
}

/** Stored reports of `ids` hashed ids in one bucket; bound as the bucket, then the ids. Ids with none are absent. */
export function countStoredInBucketSql(ids: number): string {
  const marks = Array.from({ length: ids }, () => '?').join(', ');
  return `SELECT hashed_id, count(*) AS stored FROM reports WHERE bucket = ? AND hashed_id IN (${marks}) GROUP BY hashed_id`;
}

/**
 * Row shape of {@link selectReports}. `||` joins the bytes as text in a UTF-8 database; the
 * CAST makes the result a blob again, byte for byte.
 */
export interface ReportRow {
  record: Uint8Array | ArrayBuffer;
  timestamp: number;
  received_at: number;
}

/** A stored report from a {@link ReportRow}'s fields; hashed id and payload are views of the record. */
export function storedReportOf(record: Uint8Array, timestamp: number, receivedAt: number): StoredReport {
  return {
    hashedId: record.subarray(0, HASHED_ID_LENGTH),
    payload: record.subarray(HASHED_ID_LENGTH),
    timestamp,
    receivedAt,
  };
}

/** One {@link ReportRow} per matching report, in the stable order. */
export function selectReports(query: ReportQuery, hashedIds: readonly Uint8Array[]): ReportStatement {
  return selectMatching('CAST(hashed_id || payload AS BLOB) AS record, timestamp, received_at', query, hashedIds);
}
