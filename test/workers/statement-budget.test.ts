// A Worker on the Free plan may make 50 D1 queries per request. The README promises that an
// upload of MAX_BATCH = 900 reports fits, with the per-id cap counting on: the worst case is
// 900 distinct ids spread over every day the retention window holds.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  generatePrivateKey,
  keyPairOf,
  parseContact,
  sealNotice,
  withdrawHashOf,
  withdrawTokenOf,
} from '../../crypto/index.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';
import { MAX_NOTICES_PER_REQUEST } from '../../src/contract/limits.ts';
import { createWorkerApp, type WorkerEnv } from '../../src/runtime/workers/worker.ts';
import { newOwner, sealFor } from '../contract/fixtures.ts';
import { watched } from './watched-d1.ts';

const FREE_PLAN_QUERIES_PER_REQUEST = 50;
/** The README's largest MAX_BATCH for the Free plan. */
const FREE_PLAN_MAX_BATCH = 900;
const DAY = 86_400_000;

describe('D1 statements per request', () => {
  it('an upload of the documented Free-plan maximum stays within 50 statements, cap on', async () => {
    const now = Date.now();
    const template = sealFor(newOwner(), now);
    const reports = Array.from({ length: FREE_PLAN_MAX_BATCH }, (_, i) => {
      // The server checks a payload's structure, not its seal: one sealed payload, re-dated
      // across all 8 retained days, with fresh ciphertext so that every report is new.
      const payload = template.payloadBytes.slice();
      new DataView(payload.buffer).setUint32(
        0,
        new DataView(payload.buffer).getUint32(0) - (i % 8) * (DAY / 1000) + 60,
      );
      crypto.getRandomValues(payload.subarray(62));
      return { hashedId: crypto.getRandomValues(new Uint8Array(32)), payload };
    });
    const statements: string[] = [];
    const bindings = env as unknown as WorkerEnv;
    const app = createWorkerApp(
      { ...bindings, SHARDS: 'DB', DB: watched(bindings.DB, statements), MAX_BATCH: String(FREE_PLAN_MAX_BATCH) },
      () => now,
      () => {},
    );
    const response = await app.request('/v1/reports', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: encodeBinaryUpload(reports),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual({ accepted: FREE_PLAN_MAX_BATCH, duplicates: 0 });
    expect(statements.length).toBeLessThanOrEqual(FREE_PLAN_QUERIES_PER_REQUEST);
  });

  it('the largest notice requests stay within 50 statements: publish 700 (and again), withdraw 700, look up 2,048', async () => {
    const statements: string[] = [];
    const bindings = env as unknown as WorkerEnv;
    const now = Date.now();
    const app = createWorkerApp(
      { ...bindings, SHARDS: 'DB', DB: watched(bindings.DB, statements) },
      () => now,
      () => {},
    );
    const json = (path: string, body: unknown) =>
      app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const owners = Array.from({ length: MAX_NOTICES_PER_REQUEST }, () => generatePrivateKey());
    const expiresAt = Math.floor(now / 1000) + 86_400;
    // Sealing 700 notices with ECDSA takes a while; one sealed notice under every id is enough here.
    const notice = bytesToBase64(
      sealNotice(owners[0]!, { message: 'x', contact: parseContact('+15550100'), expiresAt }),
    );
    const items = owners.map((key) => ({
      id: bytesToBase64(keyPairOf(key).hashedId),
      notice,
      expiresAt: expiresAt * 1000,
      withdrawHash: bytesToBase64(withdrawHashOf(withdrawTokenOf(key))),
    }));
    const counted = async (path: string, body: unknown, expected: number) => {
      statements.length = 0;
      const response = await json(path, body);
      expect(response.status, await response.clone().text()).toBe(expected);
      expect(statements.length, path).toBeLessThanOrEqual(FREE_PLAN_QUERIES_PER_REQUEST);
      return response.json();
    };
    expect(((await counted('/v1/notices', { notices: items }, 200)) as { published: string[] }).published).toHaveLength(
      700,
    );
    // The owner's re-run: nothing stored, every refusal explained, still within the budget.
    expect(
      ((await counted('/v1/notices', { notices: items }, 200)) as { alreadyPublished: string[] }).alreadyPublished,
    ).toHaveLength(700);
    const ids = [
      ...items.map((i) => i.id),
      ...Array.from({ length: 2048 - 700 }, () => bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))),
    ];
    expect(((await counted('/v1/notices/query', { ids }, 200)) as { notices: unknown[] }).notices).toHaveLength(700);
    const withdrawals = owners.map((key, i) => ({ id: items[i]!.id, token: bytesToBase64(withdrawTokenOf(key)) }));
    expect(
      ((await counted('/v1/notices/withdraw', { notices: withdrawals }, 200)) as { withdrawn: string[] }).withdrawn,
    ).toHaveLength(700);
  });
});
