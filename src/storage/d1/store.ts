/**
 * Reports in Cloudflare D1, behind the same interface as the SQLite store. D1 binds at most
 * 100 parameters per statement and has no interactive transactions, so an upload becomes
 * 33-row statements sent in one `batch()` (which D1 runs atomically), and a query is split
 * into id chunks whose sorted pages are merged. A Worker pays for every statement (50 a request
 * on the Free plan), which is what the statement shapes in report-rows.ts economise.
 */
import { BUCKET_SECONDS, bucketOf } from '../../../schema/schema.ts';
import { planIdCap } from '../../rules/id-cap.ts';
import { PING_SQL, PRUNE_BUCKETS_SQL, PRUNE_EDGE_SQL, selectMatchingFixedParameters } from '../report-sql.ts';
import {
  mergeReports,
  pairKey,
  StoreUnavailableError,
  type InsertResult,
  type ObservedReport,
  type ReportQuery,
  type ReportStore,
  type StoredReport,
} from '../store.ts';
import {
  countStoredInBucketSql,
  INSERT_PARAMETERS_PER_ROW,
  insertReportsSql,
  selectReports,
  storedReportOf,
  type BucketCountRow,
  type ReportRow,
} from './report-rows.ts';

/** D1's limit on bound parameters per statement. */
const D1_MAX_PARAMETERS = 100;
const ROWS_PER_INSERT = Math.floor((D1_MAX_PARAMETERS - 1) / INSERT_PARAMETERS_PER_ROW);
/** Ids per count statement, beside its bucket. */
const IDS_PER_COUNT = D1_MAX_PARAMETERS - 1;
/** Days one query statement names at most, leaving room for ids (long retention windows are split). */
const MAX_BUCKETS_PER_STATEMENT = 40;

/** D1 hands blobs back as ArrayBuffer (or, in older runtimes, arrays of numbers). */
function bytesOf(value: Uint8Array | ArrayBuffer | number[]): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return value instanceof ArrayBuffer ? new Uint8Array(value) : Uint8Array.from(value);
}

/**
 * @example const store = new D1ReportStore(env.DB);
 */
export class D1ReportStore implements ReportStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /** The cap is counted before the insert batch runs: concurrent uploads may overshoot it (rules/id-cap.ts). */
  async insert(batch: readonly ObservedReport[], receivedAt: number, capPerDay = 0): Promise<InsertResult> {
    const plan = planIdCap(batch, capPerDay);
    const { allowed: reports, rejected } = plan.split(await this.#countStored(plan.pairs));
    if (reports.length === 0) return { accepted: 0, duplicates: 0, rejected };
    const statements: D1PreparedStatement[] = [];
    for (let i = 0; i < reports.length; i += ROWS_PER_INSERT) {
      const rows = reports.slice(i, i + ROWS_PER_INSERT);
      const params = [receivedAt, ...rows.flatMap((r) => [r.hashedId, r.timestamp, r.payload])];
      statements.push(this.#db.prepare(insertReportsSql(rows.length)).bind(...params));
    }
    const results = await this.#run(() => this.#db.batch(statements));
    const accepted = results.reduce((sum, r) => sum + r.meta.changes, 0);
    return { accepted, duplicates: reports.length - accepted, rejected };
  }

  /** How many reports each (bucket, hashed id) pair holds, in their order: one statement per bucket and 99 ids. */
  async #countStored(pairs: ReadonlyArray<readonly [number, Uint8Array]>): Promise<number[]> {
    if (pairs.length === 0) return [];
    const idsByBucket = new Map<number, Uint8Array[]>();
    for (const [bucket, id] of pairs) {
      const ids = idsByBucket.get(bucket);
      if (ids) ids.push(id);
      else idsByBucket.set(bucket, [id]);
    }
    const buckets: number[] = [];
    const statements: D1PreparedStatement[] = [];
    for (const [bucket, ids] of idsByBucket) {
      for (let i = 0; i < ids.length; i += IDS_PER_COUNT) {
        const chunk = ids.slice(i, i + IDS_PER_COUNT);
        statements.push(this.#db.prepare(countStoredInBucketSql(chunk.length)).bind(bucket, ...chunk));
        buckets.push(bucket);
      }
    }
    const results = await this.#run(() => this.#db.batch<BucketCountRow>(statements));
    const counts = new Map(
      results.flatMap((r, k) =>
        r.results.map((row) => [pairKey(buckets[k]!, bytesOf(row.hashed_id)), row.stored] as const),
      ),
    );
    return pairs.map(([bucket, id]) => counts.get(pairKey(bucket, id)) ?? 0);
  }

  async query(query: ReportQuery): Promise<StoredReport[]> {
    if (query.hashedIds.length === 0 || query.since > query.until) return [];
    const statements: D1PreparedStatement[] = [];
    for (
      let firstBucket = bucketOf(query.since);
      firstBucket <= bucketOf(query.until);
      firstBucket += MAX_BUCKETS_PER_STATEMENT
    ) {
      const span = {
        ...query,
        since: Math.max(query.since, firstBucket * BUCKET_SECONDS),
        until: Math.min(query.until, (firstBucket + MAX_BUCKETS_PER_STATEMENT) * BUCKET_SECONDS - 1),
      };
      const idsPerStatement = D1_MAX_PARAMETERS - selectMatchingFixedParameters(span);
      for (let i = 0; i < query.hashedIds.length; i += idsPerStatement) {
        const { sql, params } = selectReports(span, query.hashedIds.slice(i, i + idsPerStatement));
        statements.push(this.#db.prepare(sql).bind(...params));
      }
    }
    const pages = await this.#run(() => this.#db.batch<ReportRow>(statements));
    return mergeReports(
      pages.map((page) =>
        page.results.map((row) => storedReportOf(bytesOf(row.record), row.timestamp, row.received_at)),
      ),
      query.limit,
    );
  }

  async prune(before: number): Promise<number> {
    const results = await this.#run(() =>
      this.#db.batch([
        this.#db.prepare(PRUNE_BUCKETS_SQL).bind(bucketOf(before)),
        this.#db.prepare(PRUNE_EDGE_SQL).bind(bucketOf(before), before),
      ]),
    );
    return results.reduce((sum, r) => sum + r.meta.changes, 0);
  }

  /** D1 does not tell a Worker its database's size: no storage budget on Workers. */
  async storageBytes(): Promise<undefined> {
    return undefined;
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#db.prepare(PING_SQL).first());
  }

  /** Every D1 failure is the database's, not the client's: input was validated before. */
  async #run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new StoreUnavailableError(`D1 failed: ${(error as Error).message}`);
    }
  }
}
