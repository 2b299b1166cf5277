// What one client may take from everyone's share: ids watched (memory), webhook deliveries and,
// over real HTTP, the per-client counts keyed by IPv6 /64.
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';
import { MAX_SUBSCRIPTION_IDS, MAX_WATCHED_IDS_PER_CLIENT } from '../../src/contract/limits.ts';
import { MAX_WATCHED_IDS, SubscriptionError, SubscriptionHub } from '../../src/notify/hub.ts';
import { MAX_WAITING_PER_LANE } from '../../src/notify/webhook.ts';
import { configFromEnv, DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { withDiskBudgets } from '../../src/runtime/node/disk-budget.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import { binaryUpload, newOwner, sealFor } from '../contract/fixtures.ts';
import { storedBytesSuite } from '../contract/request-limits.ts';

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

describe('webhook deliveries: a receiver that never answers delays only its own', () => {
  let server: RunningServer;
  const logs: string[] = [];
  /** Accepts connections and never answers on them. */
  const sockets = new Set<Socket>();
  const dead = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  let victimDelivered: () => void;
  const victimDelivery = new Promise<void>((resolve) => (victimDelivered = resolve));
  const victim = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(204).end();
      victimDelivered();
    });
  });
  const listening = (s: typeof dead | typeof victim) =>
    new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
  let deadUrl: string;
  let victimUrl: string;

  beforeAll(async () => {
    deadUrl = `http://127.0.0.1:${await listening(dead)}/hook`;
    victimUrl = `http://127.0.0.1:${await listening(victim)}/hook`;
    server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'webhooks.db'),
      config: {
        ...DEFAULT_CONFIG,
        uploadsPerMinute: 0,
        queriesPerMinute: 0,
        reportsPerMinute: 0,
        maxReportsPerIdPerDay: 0,
        webhookAllowPrivate: true,
        trustProxy: true,
      },
      log: (line) => logs.push(line),
    });
  });
  afterAll(async () => {
    await server.close();
    for (const socket of sockets) socket.destroy();
    dead.close();
    victim.close();
  });

  const post = (client: string, path: string, body: string | Uint8Array, type = 'application/json') =>
    fetch(server.url + path, { method: 'POST', headers: { 'content-type': type, 'x-forwarded-for': client }, body });
  const subscribe = async (client: string, hashedId: Uint8Array, url: string) => {
    const body = JSON.stringify({ ids: [bytesToBase64(hashedId)], webhook: { url, secret: 'a-secret-of-16-chars' } });
    expect((await post(client, '/v1/subscriptions', body)).status).toBe(201);
  };
  const upload = async (owner: ReturnType<typeof newOwner>) => {
    const response = await post(
      '192.0.2.7',
      '/v1/reports',
      binaryUpload([sealFor(owner, Date.now() - 60_000)]),
      'application/octet-stream',
    );
    expect(response.status).toBe(200);
  };

  it('delivers the victim’s event while 15 subscriptions of another client wait on a dead socket', async () => {
    const victimItem = newOwner();
    const attackerItem = newOwner();
    await subscribe('198.51.100.1', victimItem.hashedId, victimUrl);
    for (let i = 0; i < 15; i++) await subscribe('203.0.113.66', attackerItem.hashedId, deadUrl);
    // Uploads for the attacker's id until its deliveries are being dropped: its share, or (before
    // lanes) the whole server's queue, is full.
    const dropped = () => logs.some((line) => line.startsWith('webhook delivery dropped'));
    for (let i = 0; i < 2000 && !dropped(); i++) await upload(attackerItem);
    expect(dropped()).toBe(true);
    expect(logs.filter((line) => line.startsWith('webhook delivery dropped'))).not.toContain(
      'webhook delivery dropped: too many deliveries waiting',
    );
    expect(sockets.size).toBeGreaterThan(0);

    await upload(victimItem);
    await victimDelivery;
    expect(logs).toContain(`webhook delivery dropped: its subscription has ${MAX_WAITING_PER_LANE} deliveries waiting`);
  });
});

describe('what strangers may store (Node)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'stored-bytes.db'),
      config: { ...DEFAULT_CONFIG, queriesPerMinute: 0, clientBytesPerDay: 2 ** 20, trustProxy: true },
      log: () => {},
    });
  });
  afterAll(() => server.close());

  storedBytesSuite((client, path, init = {}) =>
    fetch(server.url + path, { ...init, headers: { ...init.headers, 'x-forwarded-for': client } }),
  );
});

describe('the owner stores’ own budget (Node)', () => {
  let server: RunningServer;
  const MiB = 2 ** 20;
  beforeAll(async () => {
    server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'budgets.db'),
      config: {
        ...DEFAULT_CONFIG,
        queriesPerMinute: 0,
        clientBytesPerDay: 0,
        storageBudgetBytes: 3 * MiB,
        ownerStorageBudgetBytes: 2 * MiB,
      },
      log: () => {},
    });
  });
  afterAll(() => server.close());

  const share = () =>
    fetch(`${server.url}/v1/shares`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ciphertext: bytesToBase64(randomFillSync(new Uint8Array(256 * 1024))),
        tokenHash: bytesToBase64(new Uint8Array(32)),
        expiresAt: Date.now() + 3_600_000,
      }),
    });

  it('refuses shares past their budget with 507 while finders’ uploads go on, and health reports each budget', async () => {
    let status = 201;
    let created = 0;
    for (; created < 40 && status === 201; created++) status = (await share()).status;
    expect(status).toBe(507);
    // 2 MiB of shares, and no more than what one sum of the stores may lag behind.
    expect(created).toBeGreaterThanOrEqual(8);
    const upload = await fetch(`${server.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: binaryUpload([sealFor(newOwner(), Date.now() - 60_000)]),
    });
    expect(upload.status).toBe(200);
    const health = await fetch(`${server.url}/v1/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as {
      warning?: string;
      budgets: Record<string, { bytes: number; budgetBytes: number }>;
    };
    expect(body.warning).toMatch(/notices, shares and mailboxes hold 1\d\d % of their storage budget/);
    expect(body.budgets.ownerStores!.budgetBytes).toBe(2 * MiB);
    expect(body.budgets.ownerStores!.bytes).toBeGreaterThanOrEqual(2 * MiB);
    expect(body.budgets.reports!.budgetBytes).toBe(3 * MiB);
    expect(body.budgets.reports!.bytes).toBeLessThan(3 * MiB);
  });
});

describe('default storage budgets (Node)', () => {
  it('take 40 % (reports) and 10 % (owner stores) of the space the database may use, unless set', () => {
    const path = join(folder, 'not', 'yet', 'made.db');
    const disk = statfsSync(folder);
    const free = disk.bavail * disk.bsize;
    const config = withDiskBudgets(configFromEnv({}), {}, path);
    // Other tests write to the same disk meanwhile: a margin of 1 %.
    expect(config.storageBudgetBytes / free).toBeCloseTo(0.4, 2);
    expect(config.ownerStorageBudgetBytes / free).toBeCloseTo(0.1, 2);
    const chosen = { STORAGE_BUDGET_MB: '0', OWNER_STORAGE_BUDGET_MB: '5' };
    const kept = withDiskBudgets(configFromEnv(chosen), chosen, path);
    expect(kept.storageBudgetBytes).toBe(0);
    expect(kept.ownerStorageBudgetBytes).toBe(5 * 2 ** 20);
  });
});
