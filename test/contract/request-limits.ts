/**
 * Every route the API declares is counted by a per-client request limit: the suite reads the
 * server's own OpenAPI document, so a route added later is checked without being listed here.
 * The target must run with both request limits at 4 a minute (a burst of one request).
 */
import { expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';

/** What the suite needs: a request from a given client address. */
export type RequestFrom = (client: string, path: string, init?: RequestInit) => Promise<Response>;

/** The one route the limits leave alone: monitors poll health, which reads two numbers. */
const UNLIMITED = new Set(['GET /v1/health']);
/** A made-up value for every path parameter (a share, a subscription): a 404 is counted too. */
const PARAMETER = 'AAAAAAAAAAAAAAAAAAAAAA';

export function requestLimitSuite(requestFrom: RequestFrom): void {
  it('answers 429 to a client’s second request at once on every declared route but health', async () => {
    const document = (await (await requestFrom('192.0.2.250', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    );
    expect(routes.length).toBeGreaterThan(20);
    const unlimited: string[] = [];
    for (const [index, { method, path }] of routes.entries()) {
      const route = `${method} ${path}`;
      // A client of its own per route: the query limit is one bucket over all of its routes.
      const client = `2001:db8:${index.toString(16)}::1`;
      const url = path.replace(/\{[^}]+\}/g, PARAMETER);
      const init: RequestInit =
        method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: '{}' };
      const first = await requestFrom(client, url, init);
      await first.body?.cancel();
      const second = await requestFrom(client, url, init);
      await second.body?.cancel();
      if (second.status !== 429) unlimited.push(`${route} (answered ${first.status}, then ${second.status})`);
      else expect(UNLIMITED.has(route), route).toBe(false);
    }
    expect(unlimited).toEqual([...UNLIMITED].map((route) => expect.stringContaining(route)));
  });
}

/**
 * Bytes a client stores in the owner stores a day, whatever its request rate: the target runs
 * with CLIENT_STORAGE_MB_PER_DAY 1 and no request limit.
 */
export function storedBytesSuite(requestFrom: RequestFrom): void {
  const share = (client: string) =>
    requestFrom(client, '/v1/shares', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ciphertext: bytesToBase64(new Uint8Array(256 * 1024).fill(7)),
        tokenHash: bytesToBase64(new Uint8Array(32)),
        expiresAt: Date.now() + 3_600_000,
      }),
    });

  it('refuses a client past its bytes of the day with 429, and only that client', async () => {
    for (let i = 0; i < 4; i++) expect((await share('2001:db8:99:1::1')).status).toBe(201);
    const refused = await share('2001:db8:99:1::2');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/too many bytes stored from this client/);
    expect((await share('2001:db8:99:2::1')).status).toBe(201);
  });
}
