// Per-client rate limits over real HTTP: 429 problem+json with Retry-After, per client,
// refilled with time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import { TokenBucketLimiter } from '../../src/http/middleware/rate-limit/limiter.ts';
import { binaryUpload, newOwner, sealFor } from '../contract/fixtures.ts';
import { requestLimitSuite } from '../contract/request-limits.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-limits-'));
let server: RunningServer;
let now = Date.parse('2026-06-01T12:00:00Z');

beforeAll(async () => {
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: join(folder, 'reports.db'),
    config: { ...DEFAULT_CONFIG, uploadsPerMinute: 8, queriesPerMinute: 4, trustProxy: true },
    clock: () => now,
    log: () => {},
  });
});
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

const body = binaryUpload([sealFor(newOwner(), now - 60_000)]);
const upload = (client: string) =>
  fetch(`${server.url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'x-forwarded-for': client },
    body,
  });
const query = (client: string) =>
  fetch(`${server.url}/v1/reports/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
    body: JSON.stringify({ ids: [btoa(String.fromCharCode(...new Uint8Array(32)))] }),
  });

describe('rate limits', () => {
  it('refuses a client past its burst with 429 problem+json and Retry-After, and only that client', async () => {
    expect((await upload('198.51.100.1')).status).toBe(200);
    expect((await upload('198.51.100.1')).status).toBe(200);
    const refused = await upload('198.51.100.1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await upload('198.51.100.2')).status).toBe(200);

    expect((await query('198.51.100.1')).status).toBe(200);
    expect((await query('198.51.100.1')).status).toBe(429);
  });

  it('counts the addresses of one IPv6 /64 as one client, and another /64 as another', async () => {
    expect((await query('2001:db8:5:6::1')).status).toBe(200);
    expect((await query('2001:db8:5:6:ffff:1:2:3')).status).toBe(429);
    expect((await query('2001:db8:5:7::1')).status).toBe(200);
  });

  it('lets the client in again once its bucket has refilled', async () => {
    expect((await upload('203.0.113.9')).status).toBe(200);
    expect((await upload('203.0.113.9')).status).toBe(200);
    expect((await upload('203.0.113.9')).status).toBe(429);
    now += 8_000; // 8 a minute: one token every 7.5 s
    expect((await upload('203.0.113.9')).status).toBe(200);
  });

  it('a token bucket allows perMinute a minute in the long run', async () => {
    let t = 0;
    const limiter = new TokenBucketLimiter(60, () => t);
    let allowed = 0;
    for (t = 0; t < 10 * 60_000; t += 100) if ((await limiter.take('c')).allowed) allowed++;
    expect(allowed).toBeGreaterThanOrEqual(600);
    expect(allowed).toBeLessThanOrEqual(600 + 15);
  });
});

describe('request limits on every route (Node)', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'every-route.db'),
      config: { ...DEFAULT_CONFIG, uploadsPerMinute: 4, queriesPerMinute: 4, trustProxy: true },
      log: () => {},
    });
  });
  afterAll(() => limited.close());

  requestLimitSuite((client, path, init = {}) =>
    fetch(limited.url + path, { ...init, headers: { ...init.headers, 'x-forwarded-for': client } }),
  );
});
