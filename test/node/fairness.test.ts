// What one client may take from everyone's share: ids watched (memory) and, over real HTTP,
// the per-client counts keyed by IPv6 /64.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';
import { MAX_SUBSCRIPTION_IDS, MAX_WATCHED_IDS_PER_CLIENT } from '../../src/contract/limits.ts';
import { MAX_WATCHED_IDS, SubscriptionError, SubscriptionHub } from '../../src/notify/hub.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-fairness-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const ids = (count: number) => Array.from({ length: count }, () => randomBytes(32));

/** A full collection, so that heap sizes measure what is alive, not what is garbage. */
function collectedHeap(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('ids watched (memory), not subscriptions, are what the hub bounds', () => {
  it('refuses a client past its ids, and everyone past the hub’s, which hold a measured amount of memory', () => {
    const hub = new SubscriptionHub();
    try {
      const full = () => ids(MAX_SUBSCRIPTION_IDS);
      const perClient = MAX_WATCHED_IDS_PER_CLIENT / MAX_SUBSCRIPTION_IDS;
      for (let i = 0; i < perClient; i++) hub.subscribe({ hashedIds: full(), client: 'a' });
      expect(() => hub.subscribe({ hashedIds: ids(1), client: 'a' })).toThrow(SubscriptionError);

      const before = collectedHeap();
      const clients = MAX_WATCHED_IDS / MAX_WATCHED_IDS_PER_CLIENT;
      for (let c = 1; c < clients; c++)
        for (let i = 0; i < perClient; i++) hub.subscribe({ hashedIds: full(), client: `c${c}` });
      expect(hub.watchedIds).toBe(MAX_WATCHED_IDS);
      const refused = (() => {
        try {
          hub.subscribe({ hashedIds: ids(1), client: 'newcomer' });
        } catch (error) {
          return error as SubscriptionError;
        }
      })();
      expect(refused?.status).toBe(429);
      expect(refused?.message).toMatch(/as many ids as it takes/);

      // The ids' own 32 bytes are garbage once subscribed: what stays is the hub's.
      const perId = (collectedHeap() - before) / (MAX_WATCHED_IDS - MAX_WATCHED_IDS_PER_CLIENT);
      console.log(
        `hub memory: ${perId.toFixed(0)} B per watched id, ${((perId * MAX_WATCHED_IDS) / 2 ** 20).toFixed(0)} MiB when full`,
      );
      expect(perId).toBeGreaterThan(100);
      expect(perId * MAX_WATCHED_IDS).toBeLessThan(160 * 2 ** 20);
    } finally {
      hub.close();
    }
  });
});

describe('per-client counts over HTTP (Node)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'subscriptions.db'),
      config: { ...DEFAULT_CONFIG, queriesPerMinute: 0, trustProxy: true },
      log: () => {},
    });
  });
  afterAll(() => server.close());

  const subscribe = (client: string, count: number) =>
    fetch(`${server.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ ids: ids(count).map(bytesToBase64) }),
    });

  it('counts the ids of one IPv6 /64’s subscriptions together, whichever of its addresses asks', async () => {
    const perClient = MAX_WATCHED_IDS_PER_CLIENT / MAX_SUBSCRIPTION_IDS;
    for (let i = 0; i < perClient; i++)
      expect((await subscribe(`2001:db8:77:1::${i + 1}`, MAX_SUBSCRIPTION_IDS)).status).toBe(201);
    const refused = await subscribe('2001:db8:77:1:abcd::9', 1);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/watch at most 8192 ids/);
    expect((await subscribe('2001:db8:77:2::1', 1)).status).toBe(201);
  });
});
