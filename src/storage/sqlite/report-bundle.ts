/**
 * The SQLite store's query shape: a day's matching reports as one row holding one blob, a
 * bundle (NULL when none match). better-sqlite3 allocates a buffer per blob and builds an array
 * per row, which an owner query of thousands of reports paid thousands of times, in time and in
 * garbage; one blob per statement pays it once (BENCHMARKS.md).
 */
import { HASHED_ID_LENGTH } from '../../../crypto/index.ts';
import { selectMatching, type ReportStatement } from '../report-sql.ts';
import { compareReports, type ReportQuery, type StoredReport } from '../store.ts';

/**
 * The bundle of the reports of `hashedIds` in the query's window.
 *
 * A bundle holds, joined by `;`: the payload lengths, the timestamps and the times received,
 * each a comma-separated decimal list, then every report's hashed id ‖ payload; the four
 * aggregates step over the same rows together, so their i-th entries are one report's. Its
 * reports come in no particular order: sorting in SQL costs more than {@link reportsOfBundle}
 * takes to sort them. `ordered: false` also lets a binding LIMIT keep any reports, not the
 * first: use it only with a LIMIT that tells whether there were more.
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
