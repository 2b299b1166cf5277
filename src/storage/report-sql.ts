/**
 * The SQL every store runs, written once. Statements use positional parameters so that
 * better-sqlite3 and D1 bind them alike; queries name each storage bucket of their window so
 * that SQLite seeks (bucket, id) pairs on the primary key instead of scanning the window.
 */
import { HASHED_ID_LENGTH } from '../../crypto/index.ts';
import { bucketOf } from '../../schema/schema.ts';
import { compareReports, type ReportQuery, type StoredReport } from './store.ts';

export const INSERT_REPORT_SQL =
  'INSERT OR IGNORE INTO reports (bucket, hashed_id, timestamp, payload, received_at) VALUES (?, ?, ?, ?, ?)';
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
 * Row shape of {@link selectReports} (the D1 store's): the hashed id and the payload come back
 * as one blob, `record` (32 + 88 or 89 bytes), because a driver converts each blob on its own
 * and an owner query returns thousands of rows. `||` joins the bytes as text in a UTF-8
 * database; the CAST makes the result a blob again, byte for byte.
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

/** An SQL statement with its positional parameters (numbers and byte arrays). */
export interface ReportStatement {
  readonly sql: string;
  readonly params: unknown[];
}

/** The stable order of reports, which cursors rely on. */
const REPORT_ORDER = 'timestamp, hashed_id, payload';

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Bound parameters of {@link selectReports} besides its ids. */
export function selectReportsFixedParameters(query: ReportQuery): number {
  return bucketOf(query.until) - bucketOf(query.since) + 1 + 2 + (query.after ? 3 : 0) + 1;
}

/**
 * `projection` of the reports of `hashedIds` in every bucket of the query's window, up to its
 * LIMIT: the first in the stable order when `ordered`, any otherwise (and then unsorted).
 */
function selectMatching(
  projection: string,
  query: ReportQuery,
  hashedIds: readonly Uint8Array[],
  ordered = true,
): ReportStatement {
  const buckets: number[] = [];
  for (let b = bucketOf(query.since); b <= bucketOf(query.until); b++) buckets.push(b);
  const after = query.after ? ' AND (timestamp, hashed_id, payload) > (?, ?, ?)' : '';
  const sql =
    `SELECT ${projection} FROM reports WHERE bucket IN (${marks(buckets.length)}) AND hashed_id IN (${marks(hashedIds.length)}) ` +
    `AND timestamp BETWEEN ? AND ?${after}${ordered ? ` ORDER BY ${REPORT_ORDER}` : ''} LIMIT ?`;
  const params: unknown[] = [...buckets, ...hashedIds, query.since, query.until];
  if (query.after) params.push(query.after.timestamp, query.after.hashedId, query.after.payload);
  params.push(query.limit);
  return { sql, params };
}

/**
 * A query over `hashedIds` (the caller chunks ids to its driver's parameter limit) in every
 * bucket of the window, one {@link ReportRow} per report in the stable order; bound
 * parameters: {@link selectReportsFixedParameters} + ids.
 */
export function selectReports(query: ReportQuery, hashedIds: readonly Uint8Array[]): ReportStatement {
  return selectMatching('CAST(hashed_id || payload AS BLOB) AS record, timestamp, received_at', query, hashedIds);
}

/**
 * The reports of {@link selectReports} as one row holding one blob, a bundle (NULL when none
 * match), for better-sqlite3: it allocates a buffer per blob and builds an array per row, and an
 * owner query's 1,340 reports paid that 1,340 times, in time and in garbage.
 *
 * A bundle holds, joined by `;`: the payload lengths, the timestamps and the times received,
 * each a comma-separated decimal list, then every report's hashed id ‖ payload; the four
 * aggregates step over the same rows together, so their i-th entries are one report's. Its
 * reports come in no particular order: sorting them in SQL took a third of the statement's
 * time, more than {@link reportsOfBundle} takes to sort them. `ordered: false` also lets a
 * binding LIMIT keep any reports, not the first: use it only with a LIMIT that tells whether
 * there were more.
 */
export function selectReportBundle(
  query: ReportQuery,
  hashedIds: readonly Uint8Array[],
  { ordered }: { ordered: boolean },
): ReportStatement {
  const bundle = `group_concat(length(payload)) || ';' || group_concat(timestamp) || ';' || group_concat(received_at) || ';' || group_concat(hashed_id || payload, '')`;
  const rows = selectMatching('hashed_id, payload, timestamp, received_at', query, hashedIds, ordered);
  return { sql: `SELECT CAST(${bundle} AS BLOB) FROM (${rows.sql})`, params: rows.params };
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const DIGIT_ZERO = 0x30;

/**
 * The reports of a bundle of {@link selectReportBundle} (null or empty: none), in the stable
 * order; ids and payloads are views of it.
 * @example reportsOfBundle(statement.pluck().get(...params))
 */
export function reportsOfBundle(bundle: Uint8Array | null): StoredReport[] {
  if (bundle === null || bundle.length === 0) return [];
  const lists: number[][] = [[], [], []];
  let at = 0;
  for (const list of lists) {
    for (let value = 0; ; at++) {
      const byte = bundle[at];
      if (byte === COMMA || byte === SEMICOLON) {
        list.push(value);
        value = 0;
        if (byte === SEMICOLON) break;
      } else if (byte === undefined) {
        throw new Error('report bundle ends in its lists');
      } else {
        value = value * 10 + (byte - DIGIT_ZERO);
      }
    }
    at++;
  }
  const [payloadLengths, timestamps, receivedAt] = lists as [number[], number[], number[]];
  const reports: StoredReport[] = [];
  payloadLengths.forEach((payloadLength, i) => {
    const payloadAt = at + HASHED_ID_LENGTH;
    reports.push({
      hashedId: bundle.subarray(at, payloadAt),
      payload: bundle.subarray(payloadAt, (at = payloadAt + payloadLength)),
      timestamp: timestamps[i]!,
      receivedAt: receivedAt[i]!,
    });
  });
  if (at !== bundle.length || timestamps.length !== reports.length || receivedAt.length !== reports.length)
    throw new Error('report bundle does not add up');
  return reports.sort(compareReports);
}
