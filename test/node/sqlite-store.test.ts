import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, SqliteReportStore } from '../../src/sqlite-store.ts';
import type { NewReport } from '../../src/store.ts';
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
function reportsFor(count: number): NewReport[] {
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
    const reports = reportsFor(3);
    await new SqliteReportStore(db).insert(reports, NOW);
    db.close();

    const reopened = openDatabase(path);
    const migrations = reopened.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number };
    expect(migrations.n).toBe(1);
    const found = await new SqliteReportStore(reopened).query({ hashedIds: [reports[0]!.hashedId], since: NOW - 3600, until: NOW, limit: 10 });
    expect(found.map((r) => r.timestamp)).toEqual(reports.map((r) => r.timestamp).reverse());
    reopened.close();
  });

  it('answers queries of every shape correctly, past the number of statements it keeps prepared', async () => {
    const store = new SqliteReportStore(openDatabase(databasePath()));
    const reports = reportsFor(3);
    await store.insert(reports, NOW);
    const unknown = Array.from({ length: 300 }, (_, k) => Uint8Array.from({ length: 32 }, (_, i) => (k * 7 + i) & 0xff));
    const expected = reports.map((r) => r.timestamp).reverse();
    // 300 different numbers of ids, each shape once, then the first shapes again after eviction.
    for (const count of [...Array.from({ length: 300 }, (_, k) => k + 1), 1, 2, 3]) {
      const found = await store.query({ hashedIds: [reports[0]!.hashedId, ...unknown.slice(0, count - 1)], since: NOW - 3600, until: NOW, limit: 10 });
      expect(found.map((r) => r.timestamp), `${count} ids`).toEqual(expected);
      expect(new Uint8Array(found[0]!.hashedId)).toEqual(reports[0]!.hashedId);
      expect(new Uint8Array(found[0]!.payload)).toEqual(reports.at(-1)!.payload);
    }
  });

  it('group-commits concurrent uploads, and a failing batch rolls back alone', async () => {
    const db = openDatabase(databasePath());
    const store = new SqliteReportStore(db);
    const [a, b] = [reportsFor(4), reportsFor(2)];
    // A value the driver cannot bind fails the batch after two of its rows went in.
    const broken = [...reportsFor(2), { hashedId: {}, payload: {}, timestamp: NOW } as unknown as NewReport];
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
});
