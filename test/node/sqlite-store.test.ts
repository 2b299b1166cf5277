import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashedIdPopulation, syntheticPayload } from '../../bench/synthetic-reports.ts';
import type { ReportStatement } from '../../src/storage/report-sql.ts';
import { SqliteReaders, type StatementBlob } from '../../src/storage/sqlite/readers.ts';
import { MIGRATIONS_FOLDER, openDatabase, READER_OPTIONS } from '../../src/storage/sqlite/database.ts';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { SqliteReportStore } from '../../src/storage/sqlite/store.ts';
import { compareReports, type ObservedReport, type StoredReport } from '../../src/storage/store.ts';
import { newOwner, sealFor } from '../contract/fixtures.ts';

const folders: string[] = [];
function databasePath(): string {
  const folder = mkdtempSync(join(tmpdir(), 'crowdfind-store-'));
  folders.push(folder);
  return join(folder, 'nested', 'reports.db');
}
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

const NOW = Math.floor(Date.parse('2026-06-01T12:00:00Z') / 1000);
function reportsFor(count: number): ObservedReport[] {
  const owner = newOwner();
  return Array.from({ length: count }, (_, k) => {
    const r = sealFor(owner, (NOW - k * 60) * 1000);
    return { hashedId: r.hashedId, payload: r.payloadBytes, timestamp: r.timestamp / 1000 };
  });
}

describe('SQLite store', () => {
  it('creates the folder and migrates an empty database, then reopens an existing one unchanged', async () => {
    const path = databasePath();
    const db = openDatabase(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('mmap_size', { simple: true })).toBeGreaterThan(1e9);
    const reports = reportsFor(3);
    await new SqliteReportStore(db).insert(reports, NOW);
    db.close();

    const reopened = openDatabase(path);
    const migrations = reopened.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(migrations.n).toBe(journal.entries.length);
    const found = await new SqliteReportStore(reopened).query({
      hashedIds: [reports[0]!.hashedId],
      since: NOW - 3600,
      until: NOW,
      limit: 10,
    });
    expect(found.map((r) => r.timestamp)).toEqual(reports.map((r) => r.timestamp).reverse());
    reopened.close();
  });

  it('migrates a database of the first schema, keeping the first received copy of each replayed report', async () => {
    // The first schema alone: its migration and a journal that names only it.
    const first = mkdtempSync(join(tmpdir(), 'crowdfind-migrations-'));
    folders.push(first);
    mkdirSync(join(first, 'meta'));
    copyFileSync(join(MIGRATIONS_FOLDER, '0000_init.sql'), join(first, '0000_init.sql'));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
      entries: Array<{ tag: string }>;
    };
    writeFileSync(
      join(first, 'meta', '_journal.json'),
      JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }),
    );
    const path = databasePath();
    mkdirSync(join(path, '..'), { recursive: true });
    const old = new Database(path);
    migrate(drizzle(old), { migrationsFolder: first });
    const [real, other] = reportsFor(2);
    // A replay: the same sealed bytes under a forged time (same day) and confidence, received later.
    const forged = real!.payload.slice();
    new DataView(forged.buffer).setUint32(0, new DataView(forged.buffer).getUint32(0) - 60);
    forged[4] = 7;
    const insert = old.prepare(
      'INSERT INTO reports (bucket, hashed_id, timestamp, payload, received_at) VALUES (?, ?, ?, ?, ?)',
    );
    insert.run(Math.floor(real!.timestamp / 86_400), real!.hashedId, real!.timestamp, real!.payload, NOW);
    insert.run(Math.floor(real!.timestamp / 86_400), real!.hashedId, real!.timestamp - 60, forged, NOW + 5);
    insert.run(Math.floor(other!.timestamp / 86_400), other!.hashedId, other!.timestamp, other!.payload, NOW);
    old.close();

    const store = new SqliteReportStore(openDatabase(path));
    const found = await store.query({
      hashedIds: [real!.hashedId, other!.hashedId],
      since: NOW - 3600,
      until: NOW,
      limit: 10,
    });
    expect(found.map((r) => [Buffer.from(r.payload).toString('hex'), r.receivedAt])).toEqual(
      [other!, real!].map((r) => [Buffer.from(r.payload).toString('hex'), NOW]),
    );
  });

  it('stores a replay with a forged time or confidence as a duplicate', async () => {
    const store = new SqliteReportStore(openDatabase(databasePath()));
    const [real] = reportsFor(1);
    const forged = real!.payload.slice();
    new DataView(forged.buffer).setUint32(0, new DataView(forged.buffer).getUint32(0) - 600);
    forged[4] = 3;
    expect(await store.insert([real!], NOW)).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    expect(await store.insert([{ ...real!, payload: forged, timestamp: real!.timestamp - 600 }], NOW + 1)).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: 0,
    });
  });

  it('answers queries of every shape correctly, past the number of statements it keeps prepared', async () => {
    const store = new SqliteReportStore(openDatabase(databasePath()));
    const reports = reportsFor(3);
    await store.insert(reports, NOW);
    const unknown = Array.from({ length: 300 }, (_, k) =>
      Uint8Array.from({ length: 32 }, (_, i) => (k * 7 + i) & 0xff),
    );
    const expected = reports.map((r) => r.timestamp).reverse();
    // 300 different numbers of ids, each shape once, then the first shapes again after eviction.
    for (const count of [...Array.from({ length: 300 }, (_, k) => k + 1), 1, 2, 3]) {
      const found = await store.query({
        hashedIds: [reports[0]!.hashedId, ...unknown.slice(0, count - 1)],
        since: NOW - 3600,
        until: NOW,
        limit: 10,
      });
      expect(
        found.map((r) => r.timestamp),
        `${count} ids`,
      ).toEqual(expected);
      expect(new Uint8Array(found[0]!.hashedId)).toEqual(reports[0]!.hashedId);
      expect(new Uint8Array(found[0]!.payload)).toEqual(reports.at(-1)!.payload);
    }
  });

  it('group-commits concurrent uploads, and a failing batch rolls back alone', async () => {
    const db = openDatabase(databasePath());
    const store = new SqliteReportStore(db);
    const [a, b] = [reportsFor(4), reportsFor(2)];
    // A value the driver cannot bind fails the batch after two of its rows went in.
    const broken = [...reportsFor(2), { hashedId: {}, payload: {}, timestamp: NOW } as unknown as ObservedReport];
    const results = await Promise.allSettled([store.insert(a, NOW), store.insert(broken, NOW), store.insert(b, NOW)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseFulfilledResult<unknown>).value).toEqual({ accepted: 4, duplicates: 0, rejected: 0 });
    const count = db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number };
    expect(count.n).toBe(6);
    db.close();
  });

  it('holds the per-id cap exactly when uploads for one id arrive concurrently', async () => {
    const db = openDatabase(databasePath());
    const store = new SqliteReportStore(db);
    const owner = newOwner();
    const batches = Array.from({ length: 4 }, (_, b) =>
      Array.from({ length: 3 }, (_, k) => {
        const r = sealFor(owner, (NOW - (b * 3 + k) * 60) * 1000);
        return { hashedId: r.hashedId, payload: r.payloadBytes, timestamp: r.timestamp / 1000 };
      }),
    );
    // Four uploads in one group commit, each counting what the earlier ones stored.
    const results = await Promise.all(batches.map((batch) => store.insert(batch, NOW, 5)));
    expect(results).toEqual([
      { accepted: 3, duplicates: 0, rejected: 0 },
      { accepted: 2, duplicates: 0, rejected: 1 },
      { accepted: 0, duplicates: 0, rejected: 3 },
      { accepted: 0, duplicates: 0, rejected: 3 },
    ]);
    expect((db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n).toBe(5);
    db.close();
  });

  it('prunes whole expired days and the expired part of the boundary day', async () => {
    const db = openDatabase(databasePath());
    const store = new SqliteReportStore(db);
    const owner = newOwner();
    const times = [NOW - 9 * 86400, NOW - 8 * 86400 - 60, NOW - 7 * 86400 - 60, NOW - 7 * 86400 + 60, NOW];
    await store.insert(
      times.map((t) => {
        const r = sealFor(owner, t * 1000);
        return { hashedId: r.hashedId, payload: r.payloadBytes, timestamp: t };
      }),
      NOW,
    );
    expect(await store.prune(NOW - 7 * 86400)).toBe(3);
    const left = await store.query({ hashedIds: [owner.hashedId], since: 0, until: NOW, limit: 10 });
    expect(left.map((r) => r.timestamp)).toEqual(times.slice(3));
    db.close();
  });

  it('finds reports stored before start-up both while and after their ids are indexed', async () => {
    const path = databasePath();
    const first = openDatabase(path);
    const owner = newOwner();
    const times = [NOW - 3 * 86400, NOW - 86400, NOW];
    const stored = times.map((t) => {
      const r = sealFor(owner, t * 1000);
      return { hashedId: r.hashedId, payload: r.payloadBytes, timestamp: t };
    });
    await new SqliteReportStore(first).insert(stored, NOW);
    first.close();

    const db = openDatabase(path);
    const store = new SqliteReportStore(db);
    const query = { hashedIds: [owner.hashedId, newOwner().hashedId], since: NOW - 7 * 86400, until: NOW, limit: 10 };
    expect((await store.query(query)).map((r) => r.timestamp)).toEqual(times);
    await store.indexed;
    expect((await store.query(query)).map((r) => r.timestamp)).toEqual(times);
    expect(await store.query({ ...query, hashedIds: [newOwner().hashedId] })).toEqual([]);
    const later = sealFor(owner, (NOW + 60) * 1000);
    await store.insert([{ hashedId: later.hashedId, payload: later.payloadBytes, timestamp: NOW + 60 }], NOW + 60);
    expect((await store.query({ ...query, until: NOW + 60 })).map((r) => r.timestamp)).toEqual([...times, NOW + 60]);
    db.close();
  });

  it('shares owner queries with reader threads and pages exactly as one connection does', async () => {
    const path = databasePath();
    const db = openDatabase(path);
    // Counts the statements this thread ran of those it shared, slowed down so that the
    // readers certainly wake and take some of them.
    const readers = new (class extends SqliteReaders {
      shared = 0;
      ranHere = 0;
      override share(statements: readonly ReportStatement[], runHere: (statement: ReportStatement) => StatementBlob) {
        this.shared += statements.length;
        return super.share(statements, (statement) => {
          this.ranHere++;
          for (const until = Date.now() + 100; Date.now() < until;);
          return runHere(statement);
        });
      }
    })(path, 2, READER_OPTIONS);
    const shared = new SqliteReportStore(db, { readers });
    // 96 ids with reports over 8 days; ids share seconds, so the order needs its tiebreaks.
    const ids = hashedIdPopulation(96);
    const reports = ids.flatMap((hashedId, k) =>
      Array.from({ length: 1 + (k % 4) }, (_, n) => {
        const timestamp = NOW - ((k * 5 + n * 7919) % 8) * 86400 - (k % 3) * 60;
        return { hashedId, payload: syntheticPayload(timestamp), timestamp };
      }),
    );
    await shared.insert(reports, NOW);
    const alone = new SqliteReportStore(db);
    await alone.indexed;

    const page = async (store: SqliteReportStore, limit: number) => {
      const seen: StoredReport[] = [];
      for (let after: StoredReport | undefined; ;) {
        const found = await store.query({
          hashedIds: ids,
          since: NOW - 8 * 86400,
          until: NOW,
          limit,
          ...(after ? { after } : {}),
        });
        seen.push(...found);
        if (found.length < limit) return seen;
        after = found.at(-1);
      }
    };
    const everything = [...reports]
      .sort(compareReports)
      .map((r) => `${r.timestamp}:${Buffer.from(r.payload).toString('hex')}`);
    for (const limit of [1, 7, 50, 10_000]) {
      const [split, whole] = await Promise.all([page(shared, limit), page(alone, limit)]);
      const keys = split.map((r) => `${r.timestamp}:${Buffer.from(r.payload).toString('hex')}`);
      expect(keys, `limit ${limit}`).toEqual(everything);
      expect(whole.map((r) => `${r.timestamp}:${Buffer.from(r.payload).toString('hex')}`)).toEqual(keys);
      expect(split.every((r) => r.receivedAt === NOW && r.hashedId.length === 32)).toBe(true);
    }

    // Only the one query whose page holds the whole window is shared, and the readers took part.
    expect(readers.shared).toBe(8);
    expect(readers.ranHere).toBeLessThan(8);
    // A shared query resumes after a cursor as one connection does (its bytes cross to the readers too).
    const sorted = [...reports].sort(compareReports);
    for (const k of [0, 57, sorted.length - 2]) {
      const query = { hashedIds: ids, since: NOW - 8 * 86400, until: NOW, limit: 10_000, after: sorted[k]! };
      const [split, whole] = await Promise.all([shared.query(query), alone.query(query)]);
      expect(split.map((r) => r.timestamp * 1e3 + r.payload[80]!)).toEqual(
        whole.map((r) => r.timestamp * 1e3 + r.payload[80]!),
      );
      expect(split.length).toBe(sorted.length - k - 1);
    }

    // Without its readers the store answers alone, the same.
    await readers.close();
    expect((await page(shared, 10_000)).length).toBe(reports.length);
    db.close();
  });

  it('cuts a day that holds more reports than the page has room for at the first in order, shared or alone', async () => {
    const path = databasePath();
    const db = openDatabase(path);
    const readers = new SqliteReaders(path, 1, READER_OPTIONS);
    const shared = new SqliteReportStore(db, { readers });
    // 64 ids with one report yesterday; three of them also have 50 each today, at interleaved
    // times (some in the same second), so that the first in order are not one id's first.
    const ids = hashedIdPopulation(64);
    const yesterday = ids.map((hashedId, k) => ({
      hashedId,
      payload: syntheticPayload(NOW - 86_400 - k),
      timestamp: NOW - 86_400 - k,
    }));
    const today = Array.from({ length: 150 }, (_, k) => ({
      hashedId: ids[k % 3]!,
      payload: syntheticPayload(NOW - (k % 100)),
      timestamp: NOW - (k % 100),
    }));
    await shared.insert([...yesterday, ...today], NOW);
    const alone = new SqliteReportStore(db);
    await alone.indexed;
    const key = (r: ObservedReport) => `${r.timestamp}:${Buffer.from(r.payload).toString('hex')}`;
    const everything = [...yesterday, ...today].sort(compareReports).map(key);
    // 67 (day, id) pairs: pages of 100 and 80 are shared, a page of 30 is not; the store
    // without readers reads today unordered first, and sees it has more than room for.
    for (const limit of [100, 80, 30]) {
      const query = { hashedIds: ids, since: NOW - 2 * 86_400, until: NOW, limit };
      const [split, whole] = await Promise.all([shared.query(query), alone.query(query)]);
      expect(split.map(key), `limit ${limit}`).toEqual(everything.slice(0, limit));
      expect(whole.map(key), `limit ${limit}`).toEqual(everything.slice(0, limit));
    }
    await readers.close();
    db.close();
  });
});
