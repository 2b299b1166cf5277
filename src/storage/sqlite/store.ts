/**
 * The embedded default: reports in one SQLite file through better-sqlite3.
 *
 * Uploads are group-committed: every batch that arrives while the event loop is busy (or while
 * the writer thread commits the group before) joins one transaction, each batch inside its own
 * savepoint so that one failing batch leaves the others intact (write-group.mjs), and every
 * caller is answered after that single commit. Commits dominate ingest cost (BENCHMARKS.md),
 * so this is where throughput comes from; they run on the writer thread (writer.ts) when the
 * store has one, so that a stalled disk does not hold the thread that answers requests.
 * WAL with synchronous=FULL: a commit is on disk before any upload is acknowledged, so an
 * acknowledged report survives kill -9 and power loss alike.
 */
import type Database from 'better-sqlite3';
import { BUCKET_SECONDS, bucketOf } from '../../../schema/schema.ts';
import { planIdCap } from '../../rules/id-cap.ts';
import {
  COUNT_PAIR_SQL,
  INSERT_REPORT_SQL,
  PING_SQL,
  pruneSliceSql,
  SEAL_STORED_SQL,
  type ReportStatement,
} from '../report-sql.ts';
import {
  StoreUnavailableError,
  type InsertResult,
  type ObservedReport,
  type ReportQuery,
  type ReportStore,
  type StoredReport,
} from '../store.ts';
import { damageOf, MAX_CACHED_STATEMENTS } from './database.ts';
import { BucketIdFilter } from './id-filter.ts';
import type { SqliteReaders, StatementBlob } from './readers.ts';
import { reportsOfBundle, selectReportBundle } from './report-bundle.ts';
import { statementCache } from './statement-cache.mjs';
import { groupWriter, type Batch, type WriteSql } from './write-group.mjs';
import type { SqliteWriter } from './writer.ts';

/** The statements a writing connection runs, here or in the writer thread. */
export const WRITE_SQL: WriteSql = {
  insert: INSERT_REPORT_SQL,
  countPair: COUNT_PAIR_SQL,
  sealStored: SEAL_STORED_SQL,
  acknowledge: 'UPDATE acknowledgements SET writes = writes + 1',
  acknowledged: 'SELECT lower(hex(identity)) AS identity, writes FROM acknowledgements',
};
/** How long a write may wait on the disk before health says storage is stuck. */
const STALLED_WRITE_MS = 3000;

/** Ids read per step while indexing existing buckets, between which the event loop runs. */
const INDEX_STEP = 20_000;
/** Slices of a day's ids that pruning deletes one statement at a time. */
const PRUNE_SLICES = 16;
/** The first hashed id of prune slice `slice`: its first byte. */
const sliceStart = (slice: number) => Uint8Array.of((slice * 256) / PRUNE_SLICES);
/** Ids (over all days) below which an owner query runs on this connection alone. */
const PARALLEL_MIN_IDS = 64;

interface PendingInsert {
  reports: readonly ObservedReport[];
  receivedAt: number;
  capPerDay: number;
  resolve: (result: InsertResult) => void;
  reject: (error: unknown) => void;
}

/**
 * One store per database file and process: the per-bucket id filters describe what this
 * process has seen written, plus what it read at start-up. Readers, when given, share the
 * owner queries' work (see readers.ts); the caller closes them before the database.
 * @example const store = new SqliteReportStore(openDatabase(path), { readers: new SqliteReaders(path, 1, READER_OPTIONS) });
 */
export class SqliteReportStore implements ReportStore {
  readonly #db: Database.Database;
  /** Writes a group on this connection, where there is no writer thread (in-memory databases, tests). */
  readonly #writeHere: (group: Batch[]) => Array<InsertResult | { error: unknown }>;
  readonly #writer: SqliteWriter | undefined;
  /** Whether a group is being written by the writer thread; the next waits for it. */
  #writing = false;
  readonly #ids = new BucketIdFilter();
  readonly #readers: SqliteReaders | undefined;
  /** Prepared query and count statements by SQL text: their shape varies only with the number of ids or pairs. */
  readonly #prepared: (sql: string) => Database.Statement;
  /**
   * Resolves, with how many ids were read, when every bucket stored before start-up is in the
   * id filter; until then queries seek every pair.
   */
  readonly indexed: Promise<number>;
  readonly #log: (line: string) => void;
  /** Why the file cannot be trusted, once SQLite has found it damaged: every call then fails with it. */
  #damage: string | undefined;
  #pending: PendingInsert[] = [];
  /** Acknowledged writes this database lost before start-up, accepted by the operator: health reports it. */
  readonly #loss: string | undefined;
  /** SQLite's code while the last write found the database locked by another connection. */
  #locked: string | undefined;

  constructor(
    db: Database.Database,
    {
      readers,
      writer,
      log = console.error,
      loss,
    }: { readers?: SqliteReaders; writer?: SqliteWriter; log?: (line: string) => void; loss?: string } = {},
  ) {
    this.#db = db;
    this.#loss = loss;
    this.#readers = readers;
    this.#writer = writer;
    this.#log = log;
    this.#prepared = statementCache(db, MAX_CACHED_STATEMENTS);
    this.#writeHere = groupWriter(db, WRITE_SQL);
    // Synchronously, before any insert or query can run: the stored buckets answer "maybe" until
    // read. A file whose table cannot even say which days it holds is damaged, not empty.
    // Two queries, each one seek: SQLite scans the whole table for min() and max() asked together.
    let first: number | null = null;
    let last: number | null = null;
    try {
      first = db.prepare('SELECT min(bucket) FROM reports').pluck().get() as number | null;
      last = db.prepare('SELECT max(bucket) FROM reports').pluck().get() as number | null;
    } catch (error) {
      this.#failure(error);
    }
    if (first !== null && last !== null)
      for (let bucket = first; bucket <= last; bucket++) this.#ids.markUnindexed(bucket);
    // Indexing reads every key of the table, so it also finds damage anywhere in it. A bucket
    // it could not read stays "maybe": queries stay correct, only slower.
    this.indexed =
      first === null || last === null
        ? Promise.resolve(0)
        : this.#indexStoredBuckets(first, last).catch((error: unknown) => {
            const failure = this.#failure(error);
            if (!this.#damage)
              this.#log(
                `indexing stored ids failed (${(failure as Error).message}); queries still answer, more slowly`,
              );
            return 0;
          });
  }

  /** Reads the ids of every stored bucket into the filter, a step at a time so start-up stays responsive. */
  async #indexStoredBuckets(first: number, last: number): Promise<number> {
    let read = 0;
    const step = this.#db
      .prepare('SELECT hashed_id FROM reports WHERE bucket = ? AND hashed_id > ? ORDER BY hashed_id LIMIT ?')
      .pluck();
    for (let bucket = first; bucket <= last; bucket++) {
      for (let after: Uint8Array = new Uint8Array(0); ;) {
        await new Promise((resolve) => setImmediate(resolve));
        if (!this.#db.open) return read;
        const ids = step.all(bucket, after, INDEX_STEP) as Uint8Array[];
        for (const id of ids) this.#ids.add(bucket, id);
        read += ids.length;
        if (ids.length < INDEX_STEP) break;
        after = ids[ids.length - 1]!;
      }
      this.#ids.markIndexed(bucket);
    }
    return read;
  }

  insert(reports: readonly ObservedReport[], receivedAt: number, capPerDay = 0): Promise<InsertResult> {
    if (this.#damage !== undefined) return Promise.reject(new StoreUnavailableError(this.#damage));
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ reports, receivedAt, capPerDay, resolve, reject }) === 1)
        setImmediate(() => this.#flush());
    });
  }

  /**
   * Writes what is pending as one group: on the writer thread when there is one (one group at a
   * time, the next gathering meanwhile), else here.
   */
  #flush(): void {
    if (this.#writing || this.#pending.length === 0) return;
    const group = this.#pending;
    this.#pending = [];
    const batches = group.map((p) => this.#describe(p));
    const answer = (results: Array<InsertResult | { error: unknown }>) => {
      this.#locked = undefined;
      group.forEach((p, i) => {
        const result = results[i]!;
        if ('error' in result) p.reject(this.#failure(result.error));
        else p.resolve(result);
      });
    };
    const fail = (error: unknown) => {
      for (const p of group) p.reject(this.#failure(error));
    };
    if (!this.#writer) {
      try {
        answer(this.#writeHere(batches));
      } catch (error) {
        fail(error);
      }
      return;
    }
    this.#writing = true;
    this.#writer
      .write(batches)
      .then(answer, fail)
      .finally(() => {
        this.#writing = false;
        this.#flush();
      });
  }

  /**
   * A batch as the writing connection takes it, with what only this thread's id filter knows:
   * which (day, id) pairs may already hold reports, and where else each report's seal could
   * stand. Each report's id goes into the filter now, before the commit: a rolled-back row only
   * costs a false positive, a missed one would hide reports.
   */
  #describe({ reports, receivedAt, capPerDay }: PendingInsert): Batch {
    const plan = planIdCap(reports, capPerDay);
    const pairMayHold = plan.pairs.map(([bucket, id]) => this.#ids.mightContain(bucket, id));
    const described = reports.map((r) => ({ ...r, bucket: bucketOf(r.timestamp) }));
    const otherBuckets = described.map((r) => {
      const others: number[] = [];
      this.#ids.forEachOtherBucketOf(r.hashedId, r.bucket, (bucket) => others.push(bucket));
      this.#ids.add(r.bucket, r.hashedId);
      return others;
    });
    return {
      reports: described,
      receivedAt,
      capPerDay,
      pairs: [...plan.pairs],
      pairMayHold,
      pairOfReport: plan.pairOfReport,
      otherBuckets,
    };
  }

  /**
   * One statement per day of the window, naming only the ids that day's filter may hold.
   * A day's reports all precede the next day's, so the days' pages concatenated in day order
   * are in the stable order. A large query shares its days with the readers.
   */
  async query(query: ReportQuery): Promise<StoredReport[]> {
    if (this.#damage !== undefined) throw new StoreUnavailableError(this.#damage);
    // Days before a cursor's hold nothing after it.
    const firstBucket = bucketOf(query.after ? Math.max(query.since, query.after.timestamp) : query.since);
    const lastBucket = bucketOf(query.until);
    const idsByBucket: Uint8Array[][] = Array.from({ length: Math.max(0, lastBucket - firstBucket + 1) }, () => []);
    for (const id of query.hashedIds)
      this.#ids.forEachBucketOf(id, firstBucket, lastBucket, (bucket) => idsByBucket[bucket - firstBucket]!.push(id));
    const days: DayQuery[] = [];
    let ids = 0;
    idsByBucket.forEach((hashedIds, k) => {
      if (hashedIds.length === 0) return;
      const bucket = firstBucket + k;
      days.push({
        query: {
          ...query,
          since: Math.max(query.since, bucket * BUCKET_SECONDS),
          until: Math.min(query.until, (bucket + 1) * BUCKET_SECONDS - 1),
        },
        hashedIds,
      });
      ids += hashedIds.length;
    });
    const found: StoredReport[] = [];
    // Shared only when large (a thread hop costs ~0.2 ms, more than a few seeks), and when the
    // page should hold every day (an id a day's filter holds has about one report that day):
    // otherwise the later days' rows would be read in vain.
    if (this.#readers && this.#readers.size > 0 && days.length > 1 && ids >= PARALLEL_MIN_IDS && ids <= query.limit) {
      let bundles: StatementBlob[];
      try {
        bundles = await this.#readers.share(
          days.map((day) => wholeDay(day, query.limit)),
          (statement) => this.#bundle(statement),
        );
      } catch (error) {
        throw this.#failure(error);
      }
      days.forEach((day, k) => {
        for (const report of this.#dayReports(day, query.limit, bundles[k]!)) found.push(report);
      });
    } else {
      // Each day asks only for the room the page has left.
      for (let k = 0; k < days.length && found.length < query.limit; k++) {
        for (const report of this.#dayReports(days[k]!, query.limit - found.length)) found.push(report);
      }
    }
    return found.length > query.limit ? found.slice(0, query.limit) : found;
  }

  /**
   * A day's first `room` reports in the stable order. `whole` is the day's bundle of
   * {@link wholeDay} when it has been read already; it holds the answer unless the day has more
   * than `room`. A day that names at least `room` ids most likely does, so it is read in order
   * straight away.
   */
  #dayReports(day: DayQuery, room: number, whole?: StatementBlob): StoredReport[] {
    if (whole === undefined && day.hashedIds.length < room) whole = this.#bundle(wholeDay(day, room));
    if (whole !== undefined) {
      const reports = reportsOfBundle(whole);
      if (reports.length <= room) return reports;
    }
    return reportsOfBundle(
      this.#bundle(selectReportBundle({ ...day.query, limit: room }, day.hashedIds, { ordered: true })),
    );
  }

  #bundle({ sql, params }: ReportStatement): StatementBlob {
    return this.#run(
      () =>
        this.#prepared(sql)
          .pluck(true)
          .get(...params) as StatementBlob,
    );
  }

  /**
   * Deletes day by day, a sixteenth of a day's ids per statement, letting the event loop run
   * between statements: a start-up prune of a week's backlog held the server for seconds
   * before it listened.
   */
  async prune(before: number): Promise<number> {
    this.#ids.dropBefore(bucketOf(before));
    const first = this.#run(() => this.#db.prepare('SELECT min(bucket) FROM reports').pluck().get() as number | null);
    let removed = 0;
    for (let bucket = first ?? Infinity; bucket <= bucketOf(before); bucket++) {
      for (let slice = 0; slice < PRUNE_SLICES; slice++) {
        const last = slice === PRUNE_SLICES - 1;
        const bounds = last ? [sliceStart(slice)] : [sliceStart(slice), sliceStart(slice + 1)];
        const params = [bucket, before, ...bounds];
        if (this.#writer) {
          try {
            removed += await this.#writer.run(pruneSliceSql(last), params);
          } catch (error) {
            throw this.#failure(error);
          }
        } else {
          removed += this.#run(() => this.#prepared(pruneSliceSql(last)).run(...params).changes);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    }
    return removed;
  }

  async storageBytes(): Promise<number> {
    return this.#run(
      () =>
        Number(this.#db.pragma('page_count', { simple: true })) *
        Number(this.#db.pragma('page_size', { simple: true })),
    );
  }

  /**
   * Fails while the database cannot be read or written (locked by another connection), while a
   * write has waited on the disk too long, and after a start that accepted lost writes.
   */
  async ping(): Promise<void> {
    if (this.#loss !== undefined) throw new StoreUnavailableError(this.#loss);
    this.#run(() => this.#db.prepare(PING_SQL).get());
    if (this.#locked !== undefined && !this.#lockFree()) {
      throw new StoreUnavailableError(
        `the database is locked by another connection (${this.#locked}): writes are refused until it lets go`,
      );
    }
    const waited = this.#writer?.waitingMs ?? 0;
    if (waited > STALLED_WRITE_MS) {
      throw new StoreUnavailableError(
        `a write has waited ${(waited / 1000).toFixed(0)} s for the disk: storage is not answering`,
      );
    }
  }

  /**
   * Whether a write could take the lock now, asked without waiting: a lock held outside this
   * server is seen by every connection. Only asked after a write found it taken.
   */
  #lockFree(): boolean {
    const timeout = this.#db.pragma('busy_timeout', { simple: true });
    this.#db.pragma('busy_timeout = 0');
    try {
      this.#db.exec('BEGIN IMMEDIATE; ROLLBACK');
      this.#locked = undefined;
      return true;
    } catch {
      return false;
    } finally {
      this.#db.pragma(`busy_timeout = ${Number(timeout)}`);
    }
  }

  /** Why the file cannot be trusted, once SQLite has found it damaged; undefined while it is sound. */
  get damage(): string | undefined {
    return this.#damage;
  }

  /**
   * What a failure means to callers: damage (logged once, and from then on every call fails
   * with it, so that no owner is ever answered from a file that lost reports), "not now", or a
   * bug that surfaces as it is.
   */
  #failure(error: unknown): unknown {
    const damage = damageOf(error);
    if (damage !== undefined && this.#damage === undefined) {
      this.#damage = damage;
      this.#log(damage);
    }
    const code = (error as { code?: unknown }).code;
    if (this.#damage !== undefined) return new StoreUnavailableError(this.#damage);
    if (typeof code === 'string' && LOCKED.test(code)) this.#locked = code;
    if (typeof code === 'string' && NOT_NOW.test(code)) {
      return new StoreUnavailableError(`the database cannot take the work now (${code})`);
    }
    return error;
  }

  #run<T>(work: () => T): T {
    if (this.#damage !== undefined) throw new StoreUnavailableError(this.#damage);
    try {
      return work();
    } catch (error) {
      throw this.#failure(error);
    }
  }
}

/** One day of an owner query: its window cut to the day, and the ids the day's filter may hold. */
interface DayQuery {
  readonly query: ReportQuery;
  readonly hashedIds: Uint8Array[];
}

/**
 * A day's reports in any order, at most one more than `room`: all of them, unless there are
 * more than `room`. Reading in order is dearer, and pays only when the room cuts the day.
 */
function wholeDay(day: DayQuery, room: number): ReportStatement {
  return selectReportBundle({ ...day.query, limit: room + 1 }, day.hashedIds, { ordered: false });
}

/** SQLite's codes for a lock another connection holds. */
const LOCKED = /^SQLITE_(BUSY|LOCKED)/;
/** SQLite's busy, locked, full and I/O errors mean "not now", not "bad input". */
const NOT_NOW = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY)/;
