// The HTTP contract suite, unchanged, inside workerd against local D1: one database, then two shards.
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker, { createWorkerApp, type WorkerEnv } from '../../src/runtime/workers/worker.ts';
import { requestLimitSuite } from '../contract/request-limits.ts';
import { CONTRACT_CONFIG, CONTRACT_NOW, contractSuite, type ContractTarget } from '../contract/suite.ts';

const bindings = env as unknown as WorkerEnv;
const contractEnv = {
  RETENTION_DAYS: String(CONTRACT_CONFIG.retentionDays),
  MAX_BATCH: String(CONTRACT_CONFIG.maxBatch),
  RATE_LIMIT_UPLOADS: '0',
  RATE_LIMIT_QUERIES: '0',
  RATE_LIMIT_REPORTS: '0',
  MAX_REPORTS_PER_ID_PER_DAY: String(CONTRACT_CONFIG.maxReportsPerIdPerDay),
  CLIENT_STORAGE_MB_PER_DAY: String(CONTRACT_CONFIG.clientBytesPerDay),
};

function workerTarget(workerEnv: WorkerEnv): () => ContractTarget {
  let now = CONTRACT_NOW;
  const app = createWorkerApp(
    workerEnv,
    () => now,
    () => {},
  );
  return () => ({
    request: async (path, init) => app.fetch(new Request(`http://crowdfind.test${path}`, init)),
    setNow: (ms) => {
      now = ms;
    },
    // The Worker's own cron handler, at the test clock's time.
    prune: () => worker.scheduled({ scheduledTime: now, cron: '*/10 * * * *', noRetry() {} }, workerEnv),
  });
}

describe('HTTP contract in workerd on one D1 database', () => {
  contractSuite(workerTarget({ ...bindings, ...contractEnv, SHARDS: 'DB' }));
});

describe('HTTP contract in workerd on two D1 shards', () => {
  contractSuite(workerTarget({ ...bindings, ...contractEnv, SHARDS: 'DB,DB_1' }));
});

describe('the deployed entry', () => {
  it('serves the API through the Worker’s fetch handler', async () => {
    const response = await (
      exports as unknown as { default: { fetch(request: Request): Promise<Response> } }
    ).default.fetch(new Request('http://crowdfind.test/v1/health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('rate limits on Workers', () => {
  it('uses the platform’s rate-limiting binding per client: 429 problem+json past the limit', async () => {
    const limiter = (env as unknown as { TEST_RATE_LIMITER: RateLimit }).TEST_RATE_LIMITER;
    const app = createWorkerApp({ ...bindings, SHARDS: 'DB', QUERY_RATE_LIMITER: limiter }, Date.now, () => {});
    const query = (client: string) =>
      app.fetch(
        new Request('http://crowdfind.test/v1/reports/query', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': client },
          body: JSON.stringify({ ids: [btoa(String.fromCharCode(...new Uint8Array(32)))] }),
        }),
      );
    expect((await query('192.0.2.1')).status).toBe(200);
    expect((await query('192.0.2.1')).status).toBe(200);
    const refused = await query('192.0.2.1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect((await query('192.0.2.2')).status).toBe(200);
  });

  it('counts the addresses of one IPv6 /64 as one client', async () => {
    const app = createWorkerApp({ ...bindings, SHARDS: 'DB', RATE_LIMIT_QUERIES: '4' }, Date.now, () => {});
    const noticesQuery = (client: string) =>
      app.fetch(
        new Request('http://crowdfind.test/v1/notices/query', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': client },
          body: '{}',
        }),
      );
    expect((await noticesQuery('2001:db8:5:6::1')).status).toBe(400);
    expect((await noticesQuery('2001:db8:5:6:ffff:1:2:3')).status).toBe(429);
    expect((await noticesQuery('2001:db8:5:7::1')).status).toBe(400);
  });
});

describe('request limits on every route (Workers)', () => {
  const app = createWorkerApp(
    { ...bindings, SHARDS: 'DB', RATE_LIMIT_QUERIES: '4', RATE_LIMIT_UPLOADS: '4' },
    Date.now,
    () => {},
  );
  requestLimitSuite(async (client, path, init = {}) =>
    app.fetch(
      new Request(`http://crowdfind.test${path}`, {
        ...init,
        headers: { ...init.headers, 'cf-connecting-ip': client },
      }),
    ),
  );
});
