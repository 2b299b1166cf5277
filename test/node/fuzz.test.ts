// Property-based fuzzing of every route over real HTTP: whatever arrives, never a 5xx, never
// a hang, always problem+json for an error, and nothing stored from a rejected upload. Lost-mode
// routes included: a subscription the fuzzer happens to open is never read, so it cannot hang it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, NOTICE_LENGTH } from '../../crypto/index.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import { binaryUpload, newOwner, sealFor } from '../contract/fixtures.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-fuzz-'));
let server: RunningServer;
beforeAll(async () => {
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: join(folder, 'reports.db'),
    config: { ...DEFAULT_CONFIG, maxBatch: 20, uploadsPerMinute: 0, queriesPerMinute: 0 },
    log: () => {},
  });
});
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

const ROUTES = [
  '/v1/reports',
  '/v1/reports/query',
  '/acsnservice/fetch',
  '/findmyservice/v2/fetch',
  '/compat/macless-haystack',
  '/v1/health',
  '/v1/notices',
  '/v1/notices/query',
  '/v1/notices/withdraw',
  '/v1/subscriptions',
  `/v1/subscriptions/${'A'.repeat(22)}`,
  `/v1/subscriptions/${'A'.repeat(22)}/events`,
  '/v1/subscriptions/%00%0a/events',
  '/v1/shares',
  `/v1/shares/${'A'.repeat(22)}`,
  '/v1/mailboxes/messages',
  '/v1/mailboxes/messages/read',
  '/v1/mailboxes/states',
  '/v1/mailboxes/states/read',
  '/v1/mailboxes/attachments',
  '/v1/mailboxes/attachments/read',
  '/openapi.json',
  '/docs',
  '/nowhere',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/octet-stream',
  'text/plain',
  'application/json; charset=utf-8',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
  '*/*',
  '',
];

const owner = newOwner();
const good = Array.from({ length: 6 }, (_, k) => sealFor(owner, Date.now() - k * 60_000));
const id = good[0]!.id;

/** JSON of wrong shapes and types, and near-misses of the right ones. */
const jsonBody = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({
      reports: fc.array(
        fc.record({
          id: fc.oneof(fc.string(), fc.constant(id), fc.integer()),
          payload: fc.oneof(fc.string(), fc.base64String(), fc.constant(good[0]!.payload)),
        }),
        { maxLength: 25 },
      ),
    })
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        ids: fc.oneof(fc.array(fc.oneof(fc.constant(id), fc.string()), { maxLength: 5 }), fc.string()),
        since: fc.oneof(fc.integer(), fc.double(), fc.string()),
        until: fc.anything(),
        limit: fc.oneof(fc.integer(), fc.constant(0)),
        cursor: fc.oneof(fc.string(), fc.base64String()),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        search: fc.array(
          fc.record(
            { ids: fc.array(fc.constant(id)), startDate: fc.oneof(fc.integer(), fc.string()), endDate: fc.anything() },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        fetch: fc.array(
          fc.record(
            { primaryIds: fc.anything(), secondaryIds: fc.array(fc.constant(id)), startDate: fc.integer() },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        notices: fc.array(
          fc.record(
            {
              id: fc.oneof(fc.constant(id), fc.string()),
              notice: fc.oneof(fc.base64String(), fc.constant(bytesToBase64(new Uint8Array(NOTICE_LENGTH)))),
              expiresAt: fc.oneof(
                fc.integer(),
                fc.constant((Math.floor(Date.now() / 1000) + 3600) * 1000),
                fc.double(),
              ),
              withdrawHash: fc.oneof(fc.base64String(), fc.constant(bytesToBase64(new Uint8Array(32)))),
              token: fc.oneof(fc.base64String(), fc.constant(bytesToBase64(new Uint8Array(32)))),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        ids: fc.array(fc.oneof(fc.constant(id), fc.string()), { maxLength: 3 }),
        ttlSeconds: fc.oneof(fc.integer(), fc.constant(120)),
        webhook: fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), secret: fc.string({ maxLength: 40 }) }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        capability: fc.oneof(fc.base64String(), fc.constant(bytesToBase64(new Uint8Array(32)))),
        message: fc.oneof(fc.base64String(), fc.constant(bytesToBase64(new Uint8Array(64)))),
        // Never a valid wait: a read that waits would hold the fuzzer for its timeout.
        waitSeconds: fc.constantFrom(-1, 26, 'x', 1.5),
        after: fc.oneof(fc.integer(), fc.string()),
        attachment: fc.oneof(fc.base64String(), fc.constant(bytesToBase64(new Uint8Array(16)))),
        index: fc.oneof(fc.integer(), fc.constant(0)),
        chunk: fc.base64String(),
        states: fc.array(
          fc.record({ capability: fc.base64String(), statement: fc.base64String(), expiresAt: fc.integer() }),
          {
            maxLength: 3,
          },
        ),
        ciphertext: fc.base64String(),
        tokenHash: fc.base64String(),
        token: fc.base64String(),
        expiresAt: fc.integer(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string().map((s) => `{"ids": ${s}`),
);
/** Truncated, oversized and random binary uploads, and real ones with damaged points. */
const binaryBody = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.integer({ min: 0, max: 6 * 120 }).map((n) => binaryUpload(good).subarray(0, n)),
  fc
    .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 32 + 5, max: 32 + 61 }), fc.integer({ min: 1, max: 255 }))
    .map(([item, at, xor]) => {
      const body = binaryUpload(good);
      body[item * 120 + at]! ^= xor;
      return body;
    }),
);

describe('fuzzing every route', () => {
  it('never answers 5xx, never hangs, and every error is problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.constantFrom(...METHODS),
        fc.constantFrom(...CONTENT_TYPES),
        fc.oneof(jsonBody, binaryBody, fc.constant(undefined)),
        async (route, method, contentType, body) => {
          const sendsBody = body !== undefined && method !== 'GET';
          const response = await fetch(server.url + route, {
            method,
            headers: contentType === undefined ? {} : { 'content-type': contentType },
            ...(sendsBody ? { body } : {}),
            signal: AbortSignal.timeout(5000),
          });
          expect(response.status, `${method} ${route}`).toBeLessThan(500);
          if (response.status >= 400)
            expect(response.headers.get('content-type'), `${method} ${route} ${response.status}`).toMatch(
              /^application\/problem\+json/,
            );
          await response.arrayBuffer();
        },
      ),
      { numRuns: 400 },
    );
  });

  it('stores nothing from a batch with one bad item, wherever it is and whatever is wrong', async () => {
    const edited = (change: (payload: Uint8Array) => void) => (payload: Uint8Array) => {
      const copy = payload.slice();
      change(copy);
      return copy;
    };
    const corruptions = fc.constantFrom<(payload: Uint8Array) => Uint8Array>(
      (p) => p.subarray(0, 87), // too short
      (p) => Uint8Array.of(...p, 0, 0), // too long
      edited((p) => (p[5] = 0x02)), // compressed-point prefix
      edited((p) => (p[30]! ^= 0x40)), // off the curve
      edited((p) => new DataView(p.buffer).setUint32(0, 0)), // observed in 2001
      edited((p) => new DataView(p.buffer).setUint32(0, 0xffffffff)), // observed in 2137
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5 }), corruptions, async (bad, corrupt) => {
        const batchOwner = newOwner();
        const batch = Array.from({ length: 6 }, (_, k) => sealFor(batchOwner, Date.now() - k * 60_000));
        const reports = batch.map((r, k) => ({
          id: r.id,
          payload: k === bad ? bytesToBase64(corrupt(base64ToBytes(r.payload))) : r.payload,
        }));
        const response = await fetch(`${server.url}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ reports }),
        });
        expect(response.status).toBe(400);
        expect(((await response.json()) as { index: number }).index).toBe(bad);
        const query = await fetch(`${server.url}/v1/reports/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ids: [batch[0]!.id] }),
        });
        expect(((await query.json()) as { reports: unknown[] }).reports).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });
});
