/**
 * The HTTP contract, written once and run against every runtime: a real Node server on a real
 * SQLite file (test/node/contract.test.ts) and, with the edge deployment, workerd on D1.
 * Every assertion is about what a client sees over HTTP.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { base64ToBytes, openReport } from '../../crypto/index.ts';
import { lostModeSuite } from './lost-mode.ts';
import { mailboxSuite } from './mailboxes.ts';
import { shareSuite } from './shares.ts';
import { timesSuite } from './times.ts';
import { binaryUpload, jsonUpload, newOwner, sealFor, type ContractReport } from './fixtures.ts';

/** What the suite needs from a runtime. */
export interface ContractTarget {
  /** Sends a request to the server under test (path starts with /). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Moves the server's clock (Unix ms). */
  setNow(ms: number): void;
  /** Runs retention pruning now. */
  prune(): Promise<void>;
}

/** What the suites of each group of routes (mailboxes.ts, shares.ts, lost-mode.ts) are given. */
export interface SuiteTools {
  readonly target: () => ContractTarget;
  readonly postJson: (path: string, value: unknown) => Promise<Response>;
  readonly expectProblem: (response: Response, status: number) => Promise<{ detail: string }>;
  /** The target's clock as last set, Unix ms. */
  readonly nowMs: () => number;
}

/** The settings the target must run with. */
export const CONTRACT_CONFIG = {
  retentionDays: 7,
  maxBatch: 50,
  corsOrigins: ['*'],
  uploadsPerMinute: 0,
  queriesPerMinute: 0,
  reportsPerMinute: 0,
  ownerQueryConcurrency: 2,
  storageBudgetBytes: 0,
  ownerStorageBudgetBytes: 0,
  clientBytesPerDay: 0,
  maxReportsPerIdPerDay: 8,
  trustProxy: false,
  clientIpv6Prefix: 64,
  webhookAllowPrivate: true,
  webTileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
} as const;
/** The clock every test starts from. */
export const CONTRACT_NOW = Date.parse('2026-06-01T12:00:00Z');

const HOUR = 3_600_000;

/** The 89-byte form of an 88-byte payload: `extra` inserted after the 4-byte timestamp. */
function withExtraByte(payload: Uint8Array, extra: number): Uint8Array {
  return Uint8Array.from([...payload.subarray(0, 4), extra, ...payload.subarray(4)]);
}
const DAY = 24 * HOUR;

export function contractSuite(target: () => ContractTarget): void {
  let t: ContractTarget;
  /** The target's clock as last set, for suites that compute times from it. */
  let nowMs = CONTRACT_NOW;
  beforeEach(() => {
    t = target();
    t.setNow((nowMs = CONTRACT_NOW));
  });

  const post = (path: string, body: string | Uint8Array, contentType = 'application/json') =>
    t.request(path, { method: 'POST', headers: { 'content-type': contentType }, body });
  const postJson = (path: string, value: unknown) => post(path, JSON.stringify(value));
  const upload = async (reports: readonly ContractReport[]) => {
    const response = await post('/v1/reports', jsonUpload(reports));
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as { accepted: number; duplicates: number };
  };
  const query = async (body: Record<string, unknown>) => {
    const response = await postJson('/v1/reports/query', body);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as {
      reports: Array<{ id: string; payload: string; timestamp: number; receivedAt: number }>;
      nextCursor: string | null;
    };
  };
  const expectProblem = async (response: Response, status: number) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as {
      type: string;
      title: string;
      status: number;
      detail: string;
      index?: number;
    };
    expect(problem).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    });
    return problem;
  };

  // What the suites of the later routes are given: the target (whose clock moves keep nowMs
  // current), and the request and problem helpers above.
  const tools: SuiteTools = {
    target: () => ({ ...t, setNow: (ms) => ((nowMs = ms), t.setNow(ms)) }),
    postJson,
    expectProblem,
    nowMs: () => nowMs,
  };
  mailboxSuite(tools);
  shareSuite(tools);
  lostModeSuite(tools);
  timesSuite(tools);

  describe('health and documents', () => {
    it('GET /v1/health answers ok', async () => {
      const response = await t.request('/v1/health');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('GET / serves the owner’s page with its policy, and its files with subresource integrity', async () => {
      const response = await t.request('/', { redirect: 'manual' });
      expect(response.status).toBe(200);
      const policy = response.headers.get('content-security-policy')!;
      expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(policy).toContain("default-src 'none'");
      expect(policy).toContain("img-src 'self' data: blob: https://tile.openstreetmap.org");
      const html = await response.text();
      expect(html).not.toMatch(/<script>|<script [^>]*>[^<]|\son\w+=|\sstyle=/);
      for (const [file, type] of [
        ['app/app.js', 'text/javascript'],
        ['app/style.css', 'text/css'],
      ] as const) {
        const integrity = new RegExp(`"${file}" integrity="(sha384-[^"]+)"`).exec(html)?.[1];
        const asset = await t.request(`/${file}`);
        expect(asset.headers.get('content-type')).toMatch(type);
        const digest = await crypto.subtle.digest('SHA-384', await asset.arrayBuffer());
        expect(integrity).toBe(`sha384-${btoa(String.fromCharCode(...new Uint8Array(digest)))}`);
      }
      expect(await (await t.request('/app/config.json')).json()).toEqual({ tileUrl: CONTRACT_CONFIG.webTileUrl });
    });

    it('GET /openapi.json describes every route; GET /docs renders it', async () => {
      const doc = (await (await t.request('/openapi.json')).json()) as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
      };
      expect(doc.openapi).toBe('3.1.0');
      for (const [path, method] of [
        ['/v1/reports', 'post'],
        ['/v1/reports/query', 'post'],
        ['/acsnservice/fetch', 'post'],
        ['/findmyservice/v2/fetch', 'post'],
        ['/compat/macless-haystack', 'post'],
        ['/v1/health', 'get'],
        ['/v1/notices', 'post'],
        ['/v1/notices/query', 'post'],
        ['/v1/notices/withdraw', 'post'],
        ['/v1/subscriptions', 'post'],
        ['/v1/subscriptions/{subscription}', 'put'],
        ['/v1/subscriptions/{subscription}', 'delete'],
        ['/v1/subscriptions/{subscription}/events', 'get'],
        ['/v1/shares', 'post'],
        ['/v1/mailboxes/messages', 'post'],
        ['/v1/mailboxes/messages/read', 'post'],
        ['/v1/mailboxes/states', 'post'],
        ['/v1/mailboxes/states/read', 'post'],
        ['/v1/mailboxes/attachments', 'post'],
        ['/v1/mailboxes/attachments/read', 'post'],
        ['/v1/shares/{share}', 'get'],
        ['/v1/shares/{share}', 'put'],
        ['/v1/shares/{share}/found', 'post'],
        ['/v1/shares/{share}/revoke', 'post'],
      ] as const) {
        expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      }
      const docs = await t.request('/docs');
      expect(docs.headers.get('content-type')).toMatch(/text\/html/);
      const html = await docs.text();
      // A reference a person reads: contents linking to every route and shape, each shape a
      // table, an example request and answer, and the problems, all from the OpenAPI document.
      for (const [path, methods] of Object.entries(doc.paths))
        for (const method of Object.keys(methods))
          expect(html).toContain(`<code>${method.toUpperCase()} ${path}</code>`);
      expect(html).toContain('href="#post-v1-reports-query"');
      expect(html).toContain('id="post-v1-reports-query"');
      expect(html).toContain('<a href="#schema-QueryRequest">QueryRequest</a>');
      expect(html).toMatch(/<section id="schema-QueryRequest"><h3>QueryRequest<\/h3><table>.*<code>ids<\/code>/s);
      expect(html).toContain('Example request');
      expect(html).toContain('Example answer');
      expect(html).toMatch(/<b>429<\/b> Too many requests/);
      expect(html).not.toMatch(/<script|https?:\/\/(?!127)/);
    });
  });

  describe('upload and query', () => {
    it('stores a JSON batch and returns it to the owner, decryptable, with both times', async () => {
      const owner = newOwner();
      const reports = [sealFor(owner, CONTRACT_NOW - 2 * HOUR, 1), sealFor(owner, CONTRACT_NOW - HOUR, 2)];
      expect(await upload(reports)).toEqual({ accepted: 2, duplicates: 0 });
      const page = await query({ ids: [reports[0]!.id] });
      expect(page.nextCursor).toBeNull();
      expect(page.reports).toEqual(
        reports.map((r) => ({
          id: r.id,
          payload: r.payload,
          timestamp: r.timestamp,
          receivedAt: Math.floor(CONTRACT_NOW / 1000) * 1000,
        })),
      );
      expect(openReport(base64ToBytes(page.reports[1]!.payload), owner.privateKey).latitude).toBe(2);
    });

    it('stores a binary batch of 120-byte records', async () => {
      const owner = newOwner();
      const reports = [0, 1, 2].map((k) => sealFor(owner, CONTRACT_NOW - k * HOUR));
      const response = await post('/v1/reports', binaryUpload(reports), 'application/octet-stream');
      expect(await response.json()).toEqual({ accepted: 3, duplicates: 0 });
      expect((await query({ ids: [reports[0]!.id] })).reports.map((r) => r.payload).sort()).toEqual(
        reports.map((r) => r.payload).sort(),
      );
    });

    it('never stores the same (id, payload) twice: repeats count as duplicates', async () => {
      const owner = newOwner();
      const [a, b] = [sealFor(owner, CONTRACT_NOW - HOUR), sealFor(owner, CONTRACT_NOW - HOUR)];
      expect(await upload([a!, a!])).toEqual({ accepted: 1, duplicates: 1 });
      expect(await upload([a!, b!])).toEqual({ accepted: 1, duplicates: 1 });
      const response = await post('/v1/reports', binaryUpload([a!, b!]), 'application/octet-stream');
      expect(await response.json()).toEqual({ accepted: 0, duplicates: 2 });
      expect((await query({ ids: [a!.id] })).reports).toHaveLength(2);
    });

    it('stores a replay with a forged time or confidence as a duplicate, and the 89-byte form of a report too', async () => {
      const owner = newOwner();
      const real = sealFor(owner, CONTRACT_NOW - 2 * HOUR);
      const forged = real.payloadBytes.slice();
      new DataView(forged.buffer).setUint32(0, new DataView(forged.buffer).getUint32(0) - 1800);
      forged[4] = 3;
      expect(await upload([real])).toEqual({ accepted: 1, duplicates: 0 });
      const replay = { ...real, payload: btoa(String.fromCharCode(...forged)), payloadBytes: forged };
      const extended = withExtraByte(real.payloadBytes, 0);
      expect(await upload([replay, { ...real, payload: btoa(String.fromCharCode(...extended)) }])).toEqual({
        accepted: 0,
        duplicates: 2,
      });
      const stored = (await query({ ids: [real.id] })).reports;
      expect(stored.map((r) => r.payload)).toEqual([real.payload]);
    });

    it('is all or nothing: one bad item stores nothing and names its index', async () => {
      const owner = newOwner();
      const good = [sealFor(owner, CONTRACT_NOW - HOUR), sealFor(owner, CONTRACT_NOW - 2 * HOUR)];
      const bad = { ...good[1]!, payload: good[1]!.payload.slice(0, 40) };
      const body = JSON.stringify({
        reports: [good[0], good[1], bad].map((r) => ({ id: r!.id, payload: r!.payload })),
      });
      const problem = await expectProblem(await post('/v1/reports', body), 400);
      expect(problem.index).toBe(2);
      const binary = binaryUpload(good);
      binary[120 + 32 + 5] = 0x02;
      expect((await expectProblem(await post('/v1/reports', binary, 'application/octet-stream'), 400)).index).toBe(1);
      expect((await query({ ids: [good[0]!.id] })).reports).toEqual([]);
    });

    it('rejects each kind of bad item with the reason', async () => {
      const owner = newOwner();
      const good = sealFor(owner, CONTRACT_NOW - HOUR);
      const offCurve = base64ToBytes(good.payload);
      offCurve[60]! ^= 1;
      const cases: Array<[string, { id: string; payload: string }, RegExp]> = [
        ['short id', { id: 'AAAA', payload: good.payload }, /id must be 32 bytes/],
        ['id not base64', { id: '!'.repeat(44), payload: good.payload }, /id: invalid base64/],
        ['payload not base64', { id: good.id, payload: 'not base64' }, /payload/],
        [
          'payload of 87 bytes',
          { id: good.id, payload: btoa(String.fromCharCode(...base64ToBytes(good.payload).subarray(0, 87))) },
          /88 or 89 bytes/,
        ],
        [
          'ephemeral key off the curve',
          { id: good.id, payload: btoa(String.fromCharCode(...offCurve)) },
          /not an uncompressed P-224 point/,
        ],
        ['from the future', { id: good.id, payload: sealFor(owner, CONTRACT_NOW + 11 * 60_000).payload }, /future/],
        ['older than retention', { id: good.id, payload: sealFor(owner, CONTRACT_NOW - 8 * DAY).payload }, /retention/],
        [
          'an 89-byte report whose extra byte is not 0',
          { id: good.id, payload: btoa(String.fromCharCode(...withExtraByte(good.payloadBytes, 0x7f))) },
          /byte 4 of an 89-byte report is always 0/,
        ],
      ];
      for (const [name, item, reason] of cases) {
        const problem = await expectProblem(await post('/v1/reports', JSON.stringify({ reports: [item] })), 400);
        expect(problem.detail, name).toMatch(reason);
        expect(problem.index, name).toBe(0);
      }
      expect((await query({ ids: [good.id] })).reports).toEqual([]);
      // 10 minutes ahead is still accepted.
      expect(await upload([sealFor(owner, CONTRACT_NOW + 9 * 60_000)])).toEqual({ accepted: 1, duplicates: 0 });
    });

    it('rejects empty, oversized and malformed batches', async () => {
      const owner = newOwner();
      await expectProblem(await post('/v1/reports', JSON.stringify({ reports: [] })), 400);
      await expectProblem(await post('/v1/reports', new Uint8Array(0), 'application/octet-stream'), 400);
      await expectProblem(await post('/v1/reports', new Uint8Array(121), 'application/octet-stream'), 400);
      const tooMany = Array.from({ length: CONTRACT_CONFIG.maxBatch + 1 }, () => sealFor(owner, CONTRACT_NOW - HOUR));
      expect((await expectProblem(await post('/v1/reports', jsonUpload(tooMany)), 400)).detail).toMatch(/at most 50/);
      expect(
        (await expectProblem(await post('/v1/reports', binaryUpload(tooMany), 'application/octet-stream'), 400)).detail,
      ).toMatch(/at most 50/);
      // Countless bad items are refused by their count, before any is parsed; a bad item is named
      // by the first one found, without parsing the rest.
      const countless = await expectProblem(await postJson('/v1/reports', { reports: Array(4000).fill({}) }), 400);
      expect(countless.detail).toMatch(/a batch holds at most 50 reports, got \d+/);
      expect((await expectProblem(await postJson('/v1/reports', { reports: Array(50).fill({}) }), 400)).index).toBe(0);
      const lastBad = [...tooMany.slice(0, 49), { ...tooMany[0]!, id: 'x' }];
      expect((await expectProblem(await post('/v1/reports', jsonUpload(lastBad)), 400)).index).toBe(49);
      await expectProblem(await post('/v1/reports', '{"reports": [1, 2'), 400);
      await expectProblem(await post('/v1/reports', '{"reports": "nope"}'), 400);
      await expectProblem(await post('/v1/reports', 'hello', 'text/plain'), 415);
      await expectProblem(await post('/v1/reports', new Uint8Array(5_000_000), 'application/octet-stream'), 413);
    });
  });

  describe('per-id cap', () => {
    it('stores at most the daily cap per id and says how many it rejected', async () => {
      const owner = newOwner();
      const sameDay = Array.from({ length: 10 }, (_, k) => sealFor(owner, CONTRACT_NOW - HOUR - k * 60_000));
      expect(await upload(sameDay)).toEqual({ accepted: 8, duplicates: 0, rejected: 2 });
      expect(await upload([sealFor(owner, CONTRACT_NOW - HOUR)])).toEqual({ accepted: 0, duplicates: 0, rejected: 1 });
      expect(await upload([sealFor(owner, CONTRACT_NOW - 2 * DAY)])).toEqual({ accepted: 1, duplicates: 0 });
      expect((await query({ ids: [sameDay[0]!.id] })).reports).toHaveLength(9);
    });
  });

  describe('owner query', () => {
    it('filters on the observation time, not the upload time', async () => {
      const owner = newOwner();
      const reports = [5, 3, 1].map((h) => sealFor(owner, CONTRACT_NOW - h * HOUR));
      await upload(reports);
      const id = reports[0]!.id;
      expect((await query({ ids: [id], since: CONTRACT_NOW - 4 * HOUR })).reports.map((r) => r.timestamp)).toEqual([
        reports[1]!.timestamp,
        reports[2]!.timestamp,
      ]);
      expect((await query({ ids: [id], until: CONTRACT_NOW - 2 * HOUR })).reports.map((r) => r.timestamp)).toEqual([
        reports[0]!.timestamp,
        reports[1]!.timestamp,
      ]);
      expect(
        (await query({ ids: [id], since: reports[1]!.timestamp, until: reports[1]!.timestamp })).reports,
      ).toHaveLength(1);
    });

    it('pages with cursors across equal timestamps without skipping or repeating', async () => {
      const owners = [newOwner(), newOwner()];
      const same = CONTRACT_NOW - 2 * HOUR;
      const reports = [
        ...Array.from({ length: 5 }, () => sealFor(owners[0]!, same)),
        ...Array.from({ length: 3 }, () => sealFor(owners[1]!, same)),
        sealFor(owners[0]!, same - HOUR),
        sealFor(owners[1]!, same + HOUR),
      ];
      await upload(reports);
      const ids = owners.map((o) => reports.find((r) => r.hashedId === o.hashedId)!.id);
      const all = (await query({ ids })).reports;
      expect(all).toHaveLength(reports.length);
      expect(all.map((r) => r.timestamp)).toEqual([...all.map((r) => r.timestamp)].sort((a, b) => a - b));
      const paged = [];
      let cursor: string | null | undefined;
      do {
        const page = await query({ ids, limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.reports.length).toBeLessThanOrEqual(3);
        paged.push(...page.reports);
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(all);
      await expectProblem(await postJson('/v1/reports/query', { ids, cursor: 'bogus' }), 400);
    });

    it('answers an unknown id exactly like an id with no reports in the window', async () => {
      const owner = newOwner();
      const report = sealFor(owner, CONTRACT_NOW - 3 * DAY);
      await upload([report]);
      const window = { since: CONTRACT_NOW - DAY };
      const known = await postJson('/v1/reports/query', { ids: [report.id], ...window });
      const unknown = await postJson('/v1/reports/query', {
        ids: [newOwner().hashedId].map((h) => btoa(String.fromCharCode(...h))),
        ...window,
      });
      expect(known.status).toBe(unknown.status);
      expect(await known.text()).toBe(await unknown.text());
    });

    it('rejects malformed queries with problem+json', async () => {
      const id = btoa(String.fromCharCode(...newOwner().hashedId));
      for (const body of [
        {},
        { ids: [] },
        { ids: ['short'] },
        { ids: [id], limit: 0 },
        { ids: [id], since: -1 },
        { ids: Array.from({ length: 2049 }, () => id) },
        { ids: id },
      ]) {
        await expectProblem(await postJson('/v1/reports/query', body), 400);
      }
      await expectProblem(await post('/v1/reports/query', '{"ids":', 'application/json'), 400);
      // Absurd but well-formed windows are answered, not spun on.
      expect((await query({ ids: [id], since: 0, until: Number.MAX_SAFE_INTEGER })).reports).toEqual([]);
      expect((await query({ ids: [id], since: Number.MAX_SAFE_INTEGER })).reports).toEqual([]);
      await expectProblem(await post('/v1/reports/query', `{"ids":["${id}"]}`, 'text/plain'), 415);
    });

    it('refuses a window that ends before it starts, on every owner route, naming both fields', async () => {
      const id = btoa(String.fromCharCode(...newOwner().hashedId));
      const [late, early] = [CONTRACT_NOW - HOUR, CONTRACT_NOW - 2 * HOUR];
      const reversed: Array<[string, unknown, RegExp]> = [
        ['/v1/reports/query', { ids: [id], since: late, until: early }, /since.*until/],
        ['/acsnservice/fetch', { search: [{ ids: [id], startDate: late, endDate: early }] }, /startDate.*endDate/],
        [
          '/findmyservice/v2/fetch',
          { fetch: [{ primaryIds: [id], startDate: late, endDate: early }] },
          /startDate.*endDate/,
        ],
        [
          '/findmyservice/v2/fetch',
          { fetch: [{ secondaryIds: [id], startDate: early, startDateSecondary: late, endDate: early + 1 }] },
          /startDateSecondary.*endDate/,
        ],
      ];
      for (const [path, body, fields] of reversed) {
        expect((await expectProblem(await postJson(path, body), 400)).detail, path).toMatch(fields);
      }
      // A window of one instant is a window.
      expect((await query({ ids: [id], since: late, until: late })).reports).toEqual([]);
    });

    it('allows browsers to call owner routes (CORS)', async () => {
      const preflight = await t.request('/v1/reports/query', {
        method: 'OPTIONS',
        headers: {
          origin: 'https://owner.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  describe('compatible fetch APIs', () => {
    it('POST /acsnservice/fetch answers in Apple’s legacy shape', async () => {
      const owner = newOwner();
      const reports = [sealFor(owner, CONTRACT_NOW - 2 * HOUR), sealFor(owner, CONTRACT_NOW - HOUR)];
      await upload(reports);
      const response = await postJson('/acsnservice/fetch', {
        search: [{ startDate: CONTRACT_NOW - DAY, endDate: String(CONTRACT_NOW), ids: [reports[0]!.id] }],
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        statusCode: '200',
        results: reports.map((r) => ({
          datePublished: Math.floor(CONTRACT_NOW / 1000) * 1000,
          payload: r.payload,
          description: 'found',
          id: r.id,
          statusCode: 0,
        })),
      });
      await expectProblem(await postJson('/acsnservice/fetch', { search: [{ ids: [] }] }), 400);
    });

    it('POST /findmyservice/v2/fetch answers in Apple’s v2 shape, primary and secondary ids', async () => {
      const [primary, secondary, empty] = [newOwner(), newOwner(), newOwner()];
      const p = [sealFor(primary, CONTRACT_NOW - 2 * HOUR), sealFor(primary, CONTRACT_NOW - HOUR)];
      const s = sealFor(secondary, CONTRACT_NOW - 3 * DAY);
      await upload([...p, s]);
      const emptyId = btoa(String.fromCharCode(...empty.hashedId));
      const response = await postJson('/findmyservice/v2/fetch', {
        clientContext: { clientBundleIdentifier: 'com.apple.icloud.searchpartyuseragent', policy: 'foregroundClient' },
        fetch: [
          {
            ownedDeviceIds: [],
            keyType: 1,
            startDate: CONTRACT_NOW - DAY,
            startDateSecondary: CONTRACT_NOW - 7 * DAY,
            endDate: CONTRACT_NOW,
            primaryIds: [p[0]!.id, emptyId],
            secondaryIds: [s.id],
          },
        ],
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        acsnLocations: {
          statusCode: '200',
          locationPayload: [
            { id: p[0]!.id, locationInfo: p.map((r) => r.payload) },
            { id: s.id, locationInfo: [s.payload] },
          ],
        },
      });
    });

    it('reads an id once however many entries name it, on both Apple routes', async () => {
      const owner = newOwner();
      const reports = Array.from({ length: 6 }, (_, k) => sealFor(owner, CONTRACT_NOW - (k + 1) * HOUR));
      await upload(reports);
      const [id, payloads] = [reports[0]!.id, reports.map((r) => r.payload).sort()];
      // 2,048 entries of one id: the request an attacker makes to have one id read 2,048 times.
      const legacy = await postJson('/acsnservice/fetch', {
        search: Array.from({ length: 2048 }, (_, k) => ({ ids: [id], startDate: CONTRACT_NOW - DAY - k })),
      });
      expect(legacy.status, await legacy.clone().text()).toBe(200);
      const { results } = (await legacy.json()) as { results: Array<{ payload: string }> };
      expect(results.map((r) => r.payload).sort()).toEqual(payloads);
      const v2 = await postJson('/findmyservice/v2/fetch', {
        fetch: Array.from({ length: 1024 }, () => ({ primaryIds: [id], secondaryIds: [id] })),
      });
      expect(v2.status).toBe(200);
      const { acsnLocations } = (await v2.json()) as {
        acsnLocations: { locationPayload: Array<{ id: string; locationInfo: string[] }> };
      };
      expect(acsnLocations.locationPayload).toHaveLength(1);
      expect(acsnLocations.locationPayload[0]!.locationInfo.sort()).toEqual(payloads);
      // Windows still apply per entry: an entry's reports are those its own window holds.
      const narrow = await postJson('/acsnservice/fetch', {
        search: [{ ids: [id], startDate: reports[1]!.timestamp, endDate: reports[0]!.timestamp }],
      });
      expect(((await narrow.json()) as { results: unknown[] }).results).toHaveLength(2);
      // More ids than a request may name, however they are spread over entries.
      const spread = Array.from({ length: 2049 }, () => ({ ids: [id] }));
      await expectProblem(await postJson('/acsnservice/fetch', { search: spread }), 400);
    });

    it('POST /compat/macless-haystack answers newest first within `days`, with its CORS headers', async () => {
      const owner = newOwner();
      const reports = [
        sealFor(owner, CONTRACT_NOW - 3 * DAY),
        sealFor(owner, CONTRACT_NOW - HOUR),
        sealFor(owner, CONTRACT_NOW - HOUR),
      ];
      await upload(reports);
      const response = await postJson('/compat/macless-haystack', { ids: [reports[0]!.id], days: 2 });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-private-network')).toBe('true');
      const body = (await response.json()) as {
        statusCode: string;
        results: Array<{ payload: string; id: string; description: string; statusCode: number }>;
      };
      expect(body.statusCode).toBe('200');
      // Both reports of the same second are kept (the original endpoint collapsed them).
      expect(body.results.map((r) => r.payload).sort()).toEqual([reports[1]!.payload, reports[2]!.payload].sort());
      const all = (await (await postJson('/compat/macless-haystack', { ids: [reports[0]!.id] })).json()) as typeof body;
      expect(all.results.at(-1)!.payload).toBe(reports[0]!.payload);
      // The app's "0: latest location only" asks for the newest report alone.
      const latest = (await (
        await postJson('/compat/macless-haystack', { ids: [reports[0]!.id], days: 0 })
      ).json()) as typeof body;
      expect(latest.results).toHaveLength(1);
      expect([reports[1]!.payload, reports[2]!.payload]).toContain(latest.results[0]!.payload);
      expect((await t.request('/compat/macless-haystack')).status).toBe(200);
      expect((await t.request('/compat/macless-haystack', { method: 'OPTIONS' })).status).toBe(200);
      const problem = await postJson('/compat/macless-haystack', { ids: 'x' });
      await expectProblem(problem, 400);
      expect(problem.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  describe('errors everywhere', () => {
    it('answers unknown routes with 404 and wrong methods with 405, as problem+json', async () => {
      await expectProblem(await t.request('/nowhere'), 404);
      const wrong = await t.request('/v1/health', { method: 'POST' });
      await expectProblem(wrong, 405);
      expect(wrong.headers.get('allow')).toBe('GET');
      await expectProblem(await t.request('/v1/reports'), 405);
    });
  });

  describe('retention', () => {
    it('prunes exactly the reports observed before the retention window', async () => {
      const owner = newOwner();
      const old = sealFor(owner, CONTRACT_NOW - 6 * DAY - 23 * HOUR);
      const edge = sealFor(owner, CONTRACT_NOW - 5 * DAY);
      const recent = sealFor(owner, CONTRACT_NOW - HOUR);
      await upload([old, edge, recent]);
      t.setNow(CONTRACT_NOW + 2 * HOUR);
      await t.prune();
      // Pruned rows are gone from every view, not just filtered.
      t.setNow(CONTRACT_NOW);
      expect((await query({ ids: [old.id] })).reports.map((r) => r.payload)).toEqual([edge.payload, recent.payload]);
      t.setNow(CONTRACT_NOW + 2 * DAY + 2 * HOUR);
      await t.prune();
      t.setNow(CONTRACT_NOW);
      expect((await query({ ids: [old.id] })).reports.map((r) => r.payload)).toEqual([recent.payload]);
    });
  });
}
