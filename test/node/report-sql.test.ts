// An owner query's bundle (one blob per statement, for better-sqlite3) holds exactly the reports
// its rows (one per report, for D1) hold, returned in the same order.
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../schema/schema.ts';
import { selectReports, storedReportOf, type ReportRow } from '../../src/storage/d1/report-rows.ts';
import { INSERT_REPORT_SQL } from '../../src/storage/report-sql.ts';
import { reportsOfBundle, selectReportBundle } from '../../src/storage/sqlite/report-bundle.ts';
import { MIGRATIONS_FOLDER } from '../../src/storage/sqlite/database.ts';
import type { ReportQuery, StoredReport } from '../../src/storage/store.ts';

const db = new Database(':memory:');
migrate(drizzle(db), { migrationsFolder: MIGRATIONS_FOLDER });
afterAll(() => db.close());

const id = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (seed * 7 + i) & 255);
/** Zero bytes, the bundle's own separators, and bytes that are not UTF-8: all must pass through SQLite's text functions unchanged. */
const payload = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => [0, 0x2c, 0x3b, 0xff, 0x80 + seed][i % 5]!);
const DAY = 20_000 * 86_400;
const stored: StoredReport[] = [
  { hashedId: id(1), payload: payload(88, 1), timestamp: DAY + 5, receivedAt: DAY + 60 },
  { hashedId: id(2), payload: payload(89, 2), timestamp: DAY + 5, receivedAt: DAY + 61 },
  { hashedId: id(1), payload: payload(88, 3), timestamp: DAY + 4, receivedAt: DAY + 62 },
  { hashedId: id(3), payload: payload(89, 4), timestamp: DAY + 3, receivedAt: DAY + 63 },
  // Past 2^32 seconds (the year 2106).
  { hashedId: id(1), payload: payload(89, 5), timestamp: 2 ** 33 + 7, receivedAt: 2 ** 40 + 9 },
];
for (const r of stored)
  db.prepare(INSERT_REPORT_SQL).run(bucketOf(r.timestamp), r.hashedId, r.timestamp, r.payload, r.receivedAt);

const plain = (reports: StoredReport[]) =>
  reports.map((r) => ({ ...r, hashedId: [...r.hashedId], payload: [...r.payload] }));
const viaRows = (query: ReportQuery) => {
  const { sql, params } = selectReports(query, query.hashedIds);
  return (db.prepare(sql).all(...params) as ReportRow[]).map((row) =>
    storedReportOf(row.record as Uint8Array, row.timestamp, row.received_at),
  );
};
const bundleOf = (query: ReportQuery, ordered: boolean) => {
  const { sql, params } = selectReportBundle(query, query.hashedIds, { ordered });
  return db
    .prepare(sql)
    .pluck()
    .get(...params) as Uint8Array | null;
};
const viaBundle = (query: ReportQuery, ordered: boolean) => reportsOfBundle(bundleOf(query, ordered));

describe('report bundles', () => {
  const day: ReportQuery = { hashedIds: [id(1), id(2), id(3)], since: DAY, until: DAY + 86_399, limit: 10 };

  it('hold what the rows hold, returned in the stable order, ordered or not', () => {
    const inOrder = plain([stored[3]!, stored[2]!, stored[0]!, stored[1]!]);
    expect(plain(viaRows(day))).toEqual(inOrder);
    expect(plain(viaBundle(day, true))).toEqual(inOrder);
    expect(plain(viaBundle(day, false))).toEqual(inOrder);
    expect(plain(viaBundle({ ...day, after: stored[2]! }, false))).toEqual(inOrder.slice(2));
    const far: ReportQuery = { hashedIds: [id(1)], since: 2 ** 33, until: 2 ** 33 + 86_399, limit: 10 };
    expect(plain(viaBundle(far, false))).toEqual(plain([stored[4]!]));
  });

  it('keep the first reports in the stable order when ordered and the limit cuts', () => {
    expect(plain(viaBundle({ ...day, limit: 2 }, true))).toEqual(plain([stored[3]!, stored[2]!]));
    // Unordered, a cutting limit keeps some reports, which callers only count.
    expect(viaBundle({ ...day, limit: 3 }, false)).toHaveLength(3);
  });

  it('are null when nothing matches, and a cut-off bundle is refused', () => {
    expect(bundleOf({ ...day, hashedIds: [id(9)] }, false)).toBeNull();
    expect(reportsOfBundle(null)).toEqual([]);
    const bundle = bundleOf(day, false)!;
    expect(() => reportsOfBundle(bundle.subarray(0, bundle.length - 1))).toThrow(/does not add up/);
    expect(() => reportsOfBundle(bundle.subarray(0, 5))).toThrow(/ends in its lists/);
  });
});
