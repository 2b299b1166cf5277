/** The share-link contract, run by contractSuite against every runtime. */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  base64UrlToBytes,
  bytesToBase64,
  openShare,
  sealShare,
  type SharedLocations,
} from '../../crypto/index.ts';
import type { SuiteTools } from './suite.ts';

const DAY_MS = 86_400_000;

export function shareSuite({ target, postJson, expectProblem, nowMs }: SuiteTools): void {
  const locations = (latitude: number): SharedLocations => ({
    device: 'Suitcase',
    reports: [{ timestamp: nowMs() - 60_000, latitude, longitude: 2.35, accuracy: 20 }],
    sealedAt: nowMs(),
  });
  /** A share made the way the owner's page makes one. */
  const create = async (latitude: number, days = 7) => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const token = crypto.getRandomValues(new Uint8Array(32));
    // The ciphertext is bound to the id, which the server assigns: a placeholder first, then the real one.
    const response = await postJson('/v1/shares', {
      ciphertext: bytesToBase64(sealShare(key, new Uint8Array(16), locations(0))),
      tokenHash: bytesToBase64(sha256(token)),
      expiresAt: nowMs() + days * DAY_MS,
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const { share } = (await response.json()) as { share: string };
    const id = base64UrlToBytes(share);
    const put = (ciphertext: Uint8Array, withToken = token) =>
      target().request(`/v1/shares/${share}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ciphertext: bytesToBase64(ciphertext), token: bytesToBase64(withToken) }),
      });
    expect((await put(sealShare(key, id, locations(latitude)))).status).toBe(200);
    return { share, id, key, token, put };
  };

  describe('share links', () => {
    it('gives whoever holds the link the locations the owner sealed, and takes updates only with the token', async () => {
      const { share, id, key, put } = await create(48.8566);
      const fetched = await target().request(`/v1/shares/${share}`);
      expect(fetched.status).toBe(200);
      const body = (await fetched.json()) as { ciphertext: string; expiresAt: number };
      expect(openShare(key, id, base64ToBytes(body.ciphertext)).reports[0]!.latitude).toBe(48.8566);
      await expectProblem(await put(sealShare(key, id, locations(1)), crypto.getRandomValues(new Uint8Array(32))), 403);
      expect((await put(sealShare(key, id, locations(45.5)))).status).toBe(200);
      const updated = (await (await target().request(`/v1/shares/${share}`)).json()) as { ciphertext: string };
      expect(openShare(key, id, base64ToBytes(updated.ciphertext)).reports[0]!.latitude).toBe(45.5);
    });

    it('ends as found (410) and is gone once revoked (404), each only with the token', async () => {
      const { share, token } = await create(10);
      const ask = (action: string, withToken: Uint8Array) =>
        postJson(`/v1/shares/${share}/${action}`, { token: bytesToBase64(withToken) });
      await expectProblem(await ask('found', crypto.getRandomValues(new Uint8Array(32))), 403);
      expect((await ask('found', token)).status).toBe(204);
      expect((await expectProblem(await target().request(`/v1/shares/${share}`), 410)).detail).toMatch(/found/);
      await expectProblem(await ask('revoke', crypto.getRandomValues(new Uint8Array(32))), 403);
      expect((await ask('revoke', token)).status).toBe(204);
      await expectProblem(await target().request(`/v1/shares/${share}`), 404);
    });

    it('expires, and refuses links for longer than 7 days and malformed requests', async () => {
      const { share } = await create(20, 1);
      const t = target();
      t.setNow(nowMs() + DAY_MS + 1000);
      await expectProblem(await t.request(`/v1/shares/${share}`), 404);
      t.setNow(nowMs());
      const good = {
        ciphertext: bytesToBase64(new Uint8Array(64)),
        tokenHash: bytesToBase64(new Uint8Array(32)),
        expiresAt: nowMs() + DAY_MS,
      };
      await expectProblem(await postJson('/v1/shares', { ...good, expiresAt: nowMs() + 8 * DAY_MS }), 400);
      // A time in seconds is long past in milliseconds.
      await expectProblem(await postJson('/v1/shares', { ...good, expiresAt: Math.floor(nowMs() / 1000) + 3600 }), 400);
      await expectProblem(await postJson('/v1/shares', { ...good, tokenHash: 'AAAA' }), 400);
      await expectProblem(await postJson('/v1/shares', { ...good, ciphertext: bytesToBase64(new Uint8Array(8)) }), 400);
      await expectProblem(await t.request('/v1/shares/not-an-id'), 400);
      await expectProblem(await t.request(`/v1/shares/${'A'.repeat(22)}`), 404);
    });
  });
}
