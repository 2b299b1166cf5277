/**
 * The D1 store's own SQL shapes: multi-row inserts (D1 pays per statement and binds at most
 * 100 parameters), and query rows whose hashed id and payload come back as one blob, `record`
 * (32 + 88 or 89 bytes), because a driver converts each blob on its own and an owner query
 * returns thousands of rows.
 */
import { HASHED_ID_LENGTH } from '../../../crypto/index.ts';
import { INSERT_REPORT_SQL, selectMatching, type ReportStatement } from '../report-sql.ts';
import type { ReportQuery, StoredReport } from '../store.ts';

/** Bound parameters per inserted row. */
export const INSERT_PARAMETERS_PER_ROW = 5;

/** The insert for `rows` rows in one statement. */
export function insertReportsSql(rows: number): string {
  return INSERT_REPORT_SQL.replace('(?, ?, ?, ?, ?)', Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', '));
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
