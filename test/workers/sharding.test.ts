// Sharding across two real local D1 databases inside workerd.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { bytesToBase64, bytesToHex } from '../../crypto/index.ts';
import { D1ReportStore } from '../../src/storage/d1/store.ts';
import { shardOf, ShardedReportStore } from '../../src/storage/sharded/store.ts';
import { createWorkerApp, type WorkerEnv } from '../../src/runtime/workers/worker.ts';
import { jsonUpload, newOwner, sealFor } from '../contract/fixtures.ts';
import { watched } from './watched-d1.ts';

const bindings = env as unknown as WorkerEnv & { DB_1: D1Database };
const HOUR = 3_600_000;

/** Owners until there are `perShard` on each of two shards. */
function ownersByShard(perShard: number) {
  const shards: Array<ReturnType<typeof newOwner>[]> = [[], []];
  while (shards.some((s) => s.length < perShard)) {
    const owner = newOwner();
    const list = shards[shardOf(owner.hashedId, 2)]!;
    if (list.length < perShard) list.push(owner);
  }
  return shards as [ReturnType<typeof newOwner>[], ReturnType<typeof newOwner>[]];
}

describe('sharding by hashed id', () => {
  it('routes by the leading bits of the id', () => {
    const id = new Uint8Array(32);
    id[0] = 0b1011_0000;
    expect(shardOf(id, 2)).toBe(1);
    expect(shardOf(id, 4)).toBe(2);
    expect(shardOf(id, 16)).toBe(11);
    expect(shardOf(new Uint8Array(32), 3)).toBe(0);
    expect(shardOf(new Uint8Array(32).fill(255), 3)).toBe(2);
  });

  it('stores each report on the shard its id routes to, and merges queries across shards in order with cursors', async () => {
    const now = Date.now();
    const app = createWorkerApp(
      { ...bindings, SHARDS: 'DB,DB_1' },
      () => now,
      () => {},
    );
    const [onFirst, onSecond] = ownersByShard(2);
    const reports = [...onFirst, ...onSecond].flatMap((owner, k) => [
      sealFor(owner, now - k * HOUR),
      sealFor(owner, now - 2 * HOUR),
    ]);
    const upload = await app.request('/v1/reports', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: jsonUpload(reports),
    });
    expect(await upload.json()).toEqual({ accepted: reports.length, duplicates: 0 });

    const idsIn = async (db: D1Database) =>
      new Set(
        (await db.prepare('SELECT hashed_id FROM reports').raw<[ArrayBuffer]>()).map(([id]) =>
          bytesToBase64(new Uint8Array(id)),
        ),
      );
    const [first, second] = [await idsIn(bindings.DB), await idsIn(bindings.DB_1)];
    for (const owner of onFirst)
      expect(first.has(bytesToBase64(owner.hashedId)) && !second.has(bytesToBase64(owner.hashedId))).toBe(true);
    for (const owner of onSecond)
      expect(second.has(bytesToBase64(owner.hashedId)) && !first.has(bytesToBase64(owner.hashedId))).toBe(true);

    const ids = [...onFirst, ...onSecond].map((o) => bytesToBase64(o.hashedId));
    const query = async (body: object) =>
      (await (
        await app.request('/v1/reports/query', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ids, ...body }),
        })
      ).json()) as { reports: Array<{ timestamp: number; id: string; payload: string }>; nextCursor: string | null };
    const all = (await query({})).reports;
    expect(all.map((r) => r.payload).sort()).toEqual(reports.map((r) => r.payload).sort());
    expect(all.map((r) => r.timestamp)).toEqual(all.map((r) => r.timestamp).sort((a, b) => a - b));
    const paged = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = await query({ limit: 3, ...(cursor ? { cursor } : {}) });
      paged.push(...page.reports);
      cursor = page.nextCursor;
    }
    expect(paged).toEqual(all);
  });

  it('asks only the shards that a query’s ids route to', async () => {
    const statements: string[] = [];
    const store = new ShardedReportStore([
      new D1ReportStore(bindings.DB),
      new D1ReportStore(watched(bindings.DB_1, statements)),
    ]);
    const [onFirst] = ownersByShard(3);
    const now = Math.floor(Date.now() / 1000);
    await store.query({ hashedIds: onFirst.map((o) => o.hashedId), since: now - 86_400, until: now, limit: 10 });
    expect(statements).toEqual([]);
    const [, onSecond] = ownersByShard(1);
    await store.query({ hashedIds: onSecond.map((o) => o.hashedId), since: now - 86_400, until: now, limit: 10 });
    expect(statements.length).toBeGreaterThan(0);
  });
});

describe('D1 limits', () => {
  it('splits big uploads and id lists under 100 bound parameters, and long windows by days', async () => {
    const store = new D1ReportStore(bindings.DB);
    const now = Math.floor(Date.now() / 1000);
    const owners = Array.from({ length: 300 }, newOwner);
    const reports = owners.slice(0, 250).map((owner, k) => {
      const r = sealFor(owner, (now - (k % 120) * 86_400) * 1000);
      return { hashedId: r.hashedId, payload: r.payloadBytes, timestamp: r.timestamp / 1000 };
    });
    expect(await store.insert(reports, now)).toEqual({ accepted: 250, duplicates: 0, rejected: 0 });
    expect(await store.insert(reports.slice(0, 30), now)).toEqual({ accepted: 0, duplicates: 30, rejected: 0 });
    const found = await store.query({
      hashedIds: owners.map((o) => o.hashedId),
      since: now - 130 * 86_400,
      until: now,
      limit: 1000,
    });
    expect(found.map((r) => r.payload)).toEqual(
      [...reports]
        .sort((a, b) => a.timestamp - b.timestamp || (bytesToHex(a.hashedId) < bytesToHex(b.hashedId) ? -1 : 1))
        .map((r) => r.payload),
    );
  });
});
