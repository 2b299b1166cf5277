// Per-client shares on the Worker: the Durable Object's hub counts the ids a client's
// subscriptions watch, the client being its IPv6 /64.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';
import { MAX_SUBSCRIPTION_IDS, MAX_WATCHED_IDS_PER_CLIENT } from '../../src/contract/limits.ts';
import { createWorkerApp, type WorkerEnv } from '../../src/runtime/workers/worker.ts';
import { storedBytesSuite } from '../contract/request-limits.ts';

const app = createWorkerApp(
  { ...(env as unknown as WorkerEnv), SHARDS: 'DB', RATE_LIMIT_QUERIES: '0' },
  Date.now,
  () => {},
);

const subscribe = async (client: string, count: number) =>
  app.fetch(
    new Request('http://crowdfind.test/v1/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': client },
      body: JSON.stringify({
        ids: Array.from({ length: count }, () => bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))),
      }),
    }),
  );

describe('ids watched per client on Workers', () => {
  it('counts the ids of one IPv6 /64’s subscriptions together, whichever of its addresses asks', async () => {
    for (let i = 0; i < MAX_WATCHED_IDS_PER_CLIENT / MAX_SUBSCRIPTION_IDS; i++)
      expect((await subscribe(`2001:db8:78:1::${i + 1}`, MAX_SUBSCRIPTION_IDS)).status).toBe(201);
    const refused = await subscribe('2001:db8:78:1:abcd::9', 1);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/watch at most 8192 ids/);
    expect((await subscribe('2001:db8:78:2::1', 1)).status).toBe(201);
  });
});

describe('bytes stored per client on Workers', () => {
  const limited = createWorkerApp(
    { ...(env as unknown as WorkerEnv), SHARDS: 'DB', RATE_LIMIT_QUERIES: '0', CLIENT_STORAGE_MB_PER_DAY: '1' },
    Date.now,
    () => {},
  );
  storedBytesSuite(async (client, path, init = {}) =>
    limited.fetch(
      new Request(`http://crowdfind.test${path}`, {
        ...init,
        headers: { ...init.headers, 'cf-connecting-ip': client },
      }),
    ),
  );
});
