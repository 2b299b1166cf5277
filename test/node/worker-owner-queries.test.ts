// The Worker as shipped (wrangler.toml and its [vars]) under `wrangler dev`, over HTTP: one
// long-lived isolate answers uploads, then many owner queries one after another on every owner
// route, then bursts of them at once, as a deployment does. The contract suite runs every route
// in workerd too, but each request on its own; what one request leaves behind for the next (a
// promise, a timer) shows only in a sequence like this one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryUpload, jsonUpload, newOwner, sealFor, type ContractReport } from '../contract/fixtures.ts';
import { startWranglerDev, WRANGLER_DEV_START_MS, type WranglerDev } from '../e2e/wrangler-dev.ts';

const HOUR = 3_600_000;
const OWNERS = 6;
/** Reports per owner, one every 4 hours from 2 hours ago: they span three days of storage buckets. */
const PER_OWNER = 12;
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-worker-queries-'));
let dev: WranglerDev;
const now = Date.now();
const owners = Array.from({ length: OWNERS }, () => newOwner());
const reports = owners.map((owner) =>
  Array.from({ length: PER_OWNER }, (_, k) => sealFor(owner, now - (2 + 4 * k) * HOUR, k)),
);
const ids = reports.map((own) => own[0]!.id);

beforeAll(async () => {
  // Everything as shipped but the per-client query rate (120 a minute, bursts of 30): every
  // request here comes from one address, and that limit is tested on its own elsewhere.
  dev = await startWranglerDev(join(folder, 'state'), { RATE_LIMIT_QUERIES: '0' });
}, WRANGLER_DEV_START_MS);
afterAll(async () => {
  await dev?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const post = (path: string, body: string | Uint8Array, type = 'application/json') =>
  fetch(dev.url + path, { method: 'POST', headers: { 'content-type': type }, body });

/** One owner query, and the payloads its answer must hold, in any order. */
interface OwnerQuery {
  readonly name: string;
  readonly path: string;
  readonly body: unknown;
  readonly expected: readonly ContractReport[];
  /** The payloads of the answer. */
  payloads(answer: unknown): string[];
}

const nativePayloads = (answer: unknown) =>
  (answer as { reports: Array<{ payload: string }> }).reports.map((r) => r.payload);
const legacyPayloads = (answer: unknown) =>
  (answer as { results: Array<{ payload: string }> }).results.map((r) => r.payload);
const v2Payloads = (answer: unknown) =>
  (
    answer as { acsnLocations: { locationPayload: Array<{ locationInfo: string[] }> } }
  ).acsnLocations.locationPayload.flatMap((l) => l.locationInfo);

/**
 * Each owner route asked about owner `n`. The windows end 90 minutes ago, before the reports
 * uploaded later (an hour ago), and those of a day hold that owner's 6 newest reports.
 */
function queriesOf(n: number): OwnerQuery[] {
  const [id, own, next] = [ids[n]!, reports[n]!, (n + 1) % OWNERS];
  const [dayAgo, end, lastDay] = [now - 24 * HOUR, now - 1.5 * HOUR, own.slice(0, 6)];
  return [
    {
      name: 'native, no window',
      path: '/v1/reports/query',
      body: { ids: [id] },
      expected: own,
      payloads: nativePayloads,
    },
    {
      name: 'native, one id and a window',
      path: '/v1/reports/query',
      body: { ids: [id], since: dayAgo, until: end },
      expected: lastDay,
      payloads: nativePayloads,
    },
    {
      name: 'Apple legacy',
      path: '/acsnservice/fetch',
      body: { search: [{ ids: [id], startDate: dayAgo, endDate: end }] },
      expected: lastDay,
      payloads: legacyPayloads,
    },
    {
      name: 'Apple v2, primary and secondary',
      path: '/findmyservice/v2/fetch',
      body: {
        fetch: [
          {
            primaryIds: [id],
            secondaryIds: [ids[next]!],
            startDate: dayAgo,
            startDateSecondary: now - 72 * HOUR,
            endDate: end,
          },
        ],
      },
      expected: [...lastDay, ...reports[next]!],
      payloads: v2Payloads,
    },
    {
      name: 'macless',
      path: '/compat/macless-haystack',
      body: { ids: [id], days: 1 },
      expected: lastDay,
      payloads: legacyPayloads,
    },
  ];
}

/** Whether a query's window ends before the late uploads (the native one without a window and macless's do not). */
const endsBeforeLate = (query: OwnerQuery) => /until|endDate/.test(JSON.stringify(query.body));

/** Sends the query and checks that it answered 200 with exactly its reports. */
async function expectAnswered(query: OwnerQuery): Promise<void> {
  const response = await post(query.path, JSON.stringify(query.body));
  const text = await response.text();
  expect(response.status, `${query.name}: ${text}`).toBe(200);
  expect(query.payloads(JSON.parse(text)).sort(), query.name).toEqual(query.expected.map((r) => r.payload).sort());
}

describe('owner routes on the Worker as shipped (wrangler dev)', () => {
  it('stores the uploads, JSON and binary', async () => {
    for (const [n, own] of reports.entries()) {
      const response =
        n % 2 === 0
          ? await post('/v1/reports', jsonUpload(own))
          : await post('/v1/reports', binaryUpload(own), 'application/octet-stream');
      expect(await response.json()).toEqual({ accepted: PER_OWNER, duplicates: 0 });
    }
  });

  it('answers every owner route, one query after another, twice over', async () => {
    for (let round = 0; round < 2; round++)
      for (let n = 0; n < OWNERS; n++) for (const query of queriesOf(n)) await expectAnswered(query);
  });

  it('pages through every report with cursors, one page after another', async () => {
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await post(
        '/v1/reports/query',
        JSON.stringify({ ids, limit: 5, ...(cursor ? { cursor } : {}) }),
      );
      expect(response.status).toBe(200);
      const page = (await response.json()) as { reports: Array<{ payload: string }>; nextCursor: string | null };
      paged.push(...page.reports.map((r) => r.payload));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged.sort()).toEqual(
      reports
        .flat()
        .map((r) => r.payload)
        .sort(),
    );
  });

  it('answers a burst of owner queries on every route at once', async () => {
    await Promise.all(owners.flatMap((_, n) => queriesOf(n)).map(expectAnswered));
  });

  it('refuses malformed owner queries with 400 on every route, one after another and at once', async () => {
    const [late, early] = [now - 2 * HOUR, now - 3 * HOUR];
    const malformed: Array<[string, unknown]> = [
      ['/v1/reports/query', { ids: ['short'] }],
      ['/v1/reports/query', { ids: [ids[0]], since: late, until: early }],
      ['/acsnservice/fetch', { search: [{ ids: [ids[0]], startDate: late, endDate: early }] }],
      ['/findmyservice/v2/fetch', { fetch: [{ primaryIds: [ids[0]], startDate: late, endDate: early }] }],
      ['/compat/macless-haystack', { ids: 'x' }],
    ];
    const refused = async ([path, body]: [string, unknown]) => {
      const response = await post(path, JSON.stringify(body));
      expect(response.status, `${path}: ${await response.clone().text()}`).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await response.body?.cancel();
    };
    for (const query of malformed) await refused(query);
    await Promise.all([...malformed.map(refused), ...queriesOf(0).map(expectAnswered)]);
  });

  it('answers owner queries at once with uploads arriving between them, and then sees the uploads', async () => {
    const late = owners.map((owner) => sealFor(owner, now - HOUR));
    const uploads = late.map(async (report) => {
      const response = await post('/v1/reports', jsonUpload([report]));
      expect(await response.json()).toEqual({ accepted: 1, duplicates: 0 });
    });
    const queries = owners.flatMap((_, n) => queriesOf(n).filter(endsBeforeLate)).map(expectAnswered);
    await Promise.all([...uploads, ...queries]);
    for (const [n, report] of late.entries()) {
      const [all, , , , macless] = queriesOf(n);
      await expectAnswered({ ...all!, expected: [report, ...reports[n]!] });
      await expectAnswered({ ...macless!, expected: [report, ...reports[n]!.slice(0, 6)] });
    }
  });

  it('left nothing hung in the Worker', () => {
    expect(dev.output()).not.toMatch(/hung|canceled this request|Uncaught/i);
  });
});
