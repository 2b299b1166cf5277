/**
 * The time rule of src/contract/times.ts, run by contractSuite against every runtime: every
 * absolute time a /v1 route answers is Unix ms near the server's clock, every one a body sends
 * is taken in ms, and the OpenAPI document describes none in seconds outside Apple's routes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
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
import { jsonUpload, newOwner, sealFor } from './fixtures.ts';
import type { SuiteTools } from './suite.ts';

const DAY_MS = 86_400_000;

/** A property of a schema in the OpenAPI document, as far as this walk reads one. */
type SchemaNode = {
  $ref?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
};
type OpenApi = { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, SchemaNode> } };

/** A name that says it is an absolute time. */
const TIME_NAME = /(At|^since|^until|^timestamp)$/;

/**
 * Every property reachable from the /v1 operations of the document, as `name: description`, each
 * component schema walked once.
 */
function v1Properties(doc: OpenApi): Array<{ name: string; description: string }> {
  const found: Array<{ name: string; description: string }> = [];
  const seen = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const schema = node as SchemaNode & Record<string, unknown>;
    if (typeof schema.$ref === 'string') {
      const name = schema.$ref.split('/').at(-1)!;
      if (seen.has(name)) return;
      seen.add(name);
      return walk(doc.components.schemas[name]);
    }
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      found.push({ name, description: property.description ?? '' });
    for (const value of Object.values(schema)) walk(value);
  };
  for (const [path, operations] of Object.entries(doc.paths)) if (path.startsWith('/v1/')) walk(operations);
  return found;
}

export function timesSuite({ target, postJson, nowMs }: SuiteTools): void {
  const json = async <T>(response: Response, status: number): Promise<T> => {
    expect(response.status, await response.clone().text()).toBe(status);
    return (await response.json()) as T;
  };
  /** An expiry the server answered: after its clock, within the longest any route allows. */
  const expectExpiry = (ms: number) => {
    expect(ms).toBeGreaterThan(nowMs());
    expect(ms).toBeLessThan(nowMs() + 32 * DAY_MS);
  };
  /**
   * A subscription's expiry: `ttlSeconds` after the hub's clock, in ms. On Workers the hub is a
   * Durable Object on the platform's clock, which a test cannot set, so either clock may be its.
   */
  const expectSubscribedFor = (ms: number, ttlSeconds: number) => {
    const from = (now: number) => Math.floor(now / 1000) * 1000 + ttlSeconds * 1000;
    expect(
      [from(nowMs()), from(Date.now())].some((expected) => Math.abs(ms - expected) < 60_000),
      String(ms),
    ).toBe(true);
  };
  /** A time the server stamped: within a day of its clock. */
  const expectRecent = (ms: number) => expect(Math.abs(ms - nowMs())).toBeLessThan(DAY_MS);

  describe('times', () => {
    it('answers every absolute time of a /v1 route in Unix ms near the server’s clock', async () => {
      const created = await json<{ share: string; expiresAt: number }>(
        await postJson('/v1/shares', {
          ciphertext: bytesToBase64(new Uint8Array(64)),
          tokenHash: bytesToBase64(sha256(new Uint8Array(32))),
          expiresAt: nowMs() + DAY_MS + 1,
        }),
        201,
      );
      // Stored in whole seconds, rounded up: never earlier than asked.
      expect(created.expiresAt).toBe(nowMs() + DAY_MS + 1000);
      const updated = await json<{ updatedAt: number }>(
        await target().request(`/v1/shares/${created.share}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            ciphertext: bytesToBase64(new Uint8Array(64)),
            token: bytesToBase64(new Uint8Array(32)),
          }),
        }),
        200,
      );
      expectRecent(updated.updatedAt);
      const shared = await json<{ expiresAt: number; updatedAt: number }>(
        await target().request(`/v1/shares/${created.share}`),
        200,
      );
      expect(shared.expiresAt).toBe(created.expiresAt);
      expectRecent(shared.updatedAt);

      const key = keyPairOf(generatePrivateKey());
      const sealedSeconds = Math.floor(nowMs() / 1000) + 2 * 86_400;
      const notice = sealNotice(key.privateKey, {
        message: 'x',
        contact: parseContact('+15550100'),
        expiresAt: sealedSeconds,
      });
      await json(
        await postJson('/v1/notices', {
          notices: [
            {
              id: bytesToBase64(key.hashedId),
              notice: bytesToBase64(notice),
              expiresAt: sealedSeconds * 1000,
              withdrawHash: bytesToBase64(withdrawHashOf(withdrawTokenOf(key.privateKey))),
            },
          ],
        }),
        200,
      );
      const found = await json<{ notices: Array<{ expiresAt: number }> }>(
        await postJson('/v1/notices/query', { ids: [bytesToBase64(key.hashedId)] }),
        200,
      );
      expect(found.notices.map((n) => n.expiresAt)).toEqual([sealedSeconds * 1000]);
      expectExpiry(found.notices[0]!.expiresAt);

      const subscribed = await json<{ subscription: string; expiresAt: number }>(
        await postJson('/v1/subscriptions', { ids: [bytesToBase64(key.hashedId)], ttlSeconds: 600 }),
        201,
      );
      expectSubscribedFor(subscribed.expiresAt, 600);
      const renewed = await json<{ expiresAt: number }>(
        await target().request(`/v1/subscriptions/${subscribed.subscription}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ttlSeconds: 3600 }),
        }),
        200,
      );
      expectSubscribedFor(renewed.expiresAt, 3600);

      const owner = newOwner();
      await json(await postJson('/v1/reports', JSON.parse(jsonUpload([sealFor(owner, nowMs() - 60_000)]))), 200);
      const queried = await json<{ reports: Array<{ timestamp: number; receivedAt: number }> }>(
        await postJson('/v1/reports/query', { ids: [bytesToBase64(owner.hashedId)] }),
        200,
      );
      expect(queried.reports).toHaveLength(1);
      expectRecent(queried.reports[0]!.timestamp);
      expectRecent(queried.reports[0]!.receivedAt);
    });

    it('takes a mailbox state’s expiry in Unix ms, and refuses one in seconds', async () => {
      const capability = bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
      const statement = bytesToBase64(crypto.getRandomValues(new Uint8Array(64)));
      const set = (expiresAt: number) =>
        postJson('/v1/mailboxes/states', { states: [{ capability, statement, expiresAt }] });
      expect((await set(Math.floor(nowMs() / 1000) + 3600)).status).toBe(400);
      expect((await set(nowMs() + 3_600_000)).status).toBe(204);
      expect(await json(await postJson('/v1/mailboxes/states/read', { capability }), 200)).toEqual({ statement });
    });

    it('describes no time of a /v1 route in seconds, and every one in Unix milliseconds', async () => {
      const doc = await json<OpenApi>(await target().request('/openapi.json'), 200);
      const properties = v1Properties(doc);
      const times = properties.filter((p) => TIME_NAME.test(p.name));
      // The walk reaches the times it must: not a vacuous pass.
      expect(new Set(times.map((p) => p.name))).toEqual(
        new Set(['expiresAt', 'updatedAt', 'since', 'until', 'timestamp', 'receivedAt']),
      );
      for (const time of times) expect(time.description, time.name).toMatch(/^Unix milliseconds/);
      // A duration names its unit; nothing else counts in seconds.
      expect(properties.filter((p) => /\bseconds\b/i.test(p.description) && !p.name.endsWith('Seconds'))).toEqual([]);
    });
  });
}
