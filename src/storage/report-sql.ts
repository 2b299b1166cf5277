/**
 * The SQL every store runs, written once. Statements use positional parameters so that
 * better-sqlite3 and D1 bind them alike; queries name each storage bucket of their window so
 * that SQLite seeks (bucket, id) pairs on the primary key instead of scanning the window.
 * Each driver's own shapes live beside its store: sqlite/report-bundle.ts, d1/report-rows.ts.
 */
import { bucketOf, SEAL_SQL } from '../../schema/schema.ts';
import type { ReportQuery } from './store.ts';

/**
 * Stores one report, bound as bucket, hashed id, timestamp, payload, time received; its seal is
 * computed from the payload, and a report whose seal its day and id already hold is ignored.
 */
export const INSERT_REPORT_SQL =
  'INSERT OR IGNORE INTO reports (bucket, hashed_id, timestamp, payload, received_at, seal) ' +
  `SELECT column1, column2, column3, column4, column5, ${SEAL_SQL('column4')} FROM (VALUES (?, ?, ?, ?, ?))`;

/**
 * Whether a bucket holds a report of an id with a payload's seal, bound as bucket, hashed id,
 * payload: a copy under another day is a replay with a forged time (schema.ts, SEAL_SQL).
 */
export const SEAL_STORED_SQL = `SELECT 1 FROM reports WHERE bucket = ? AND hashed_id = ? AND seal = (SELECT ${SEAL_SQL('column1')} FROM (VALUES (?)))`;

/** Removes whole expired buckets: a range delete at the left edge of the table. */
export const PRUNE_BUCKETS_SQL = 'DELETE FROM reports WHERE bucket < ?';
/** Removes the expired part of the one bucket the cut-off falls in. */
export const PRUNE_EDGE_SQL = 'DELETE FROM reports WHERE bucket = ? AND timestamp < ?';

/**
 * Pruning a bucket a slice at a time: its reports observed before a time, among the ids from a
 * first byte on (`hashed_id >= ?`) to the next slice's (`< ?`). Hashed ids are SHA-256 outputs,
 * so the slices are even, and no one statement holds the writer for a whole day's reports.
 * Bound as bucket, time, then one or two slice bounds.
 */
export function pruneSliceSql(last: boolean): string {
  return `DELETE FROM reports WHERE bucket = ? AND timestamp < ? AND hashed_id >= ?${last ? '' : ' AND hashed_id < ?'}`;
}

export const PING_SQL = 'SELECT 1';

/** Stored reports of one (bucket, hashed id) pair: what the per-id cap counts on SQLite. */
export const COUNT_PAIR_SQL = 'SELECT count(*) FROM reports WHERE bucket = ? AND hashed_id = ?';

/** An SQL statement with its positional parameters (numbers and byte arrays). */
export interface ReportStatement {
  readonly sql: string;
  readonly params: unknown[];
}

/** The stable order of reports, which cursors rely on. */
const REPORT_ORDER = 'timestamp, hashed_id, payload';

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Bound parameters of {@link selectMatching} besides its ids. */
export function selectMatchingFixedParameters(query: ReportQuery): number {
  return bucketOf(query.until) - bucketOf(query.since) + 1 + 2 + (query.after ? 3 : 0) + 1;
}

/**
 * `projection` of the reports of `hashedIds` (the caller chunks ids to its driver's parameter
 * limit) in every bucket of the query's window, up to its LIMIT: the first in the stable order
 * when `ordered`, any otherwise (and then unsorted). Bound parameters:
 * {@link selectMatchingFixedParameters} + ids.
 */
export function selectMatching(
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
