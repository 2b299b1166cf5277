/**
 * The HTTP API as one Hono app built from injected parts (store, clock, config, log), so the
 * Node server and the Worker run the very same routes. Routes, in the order a finder and an
 * owner meet them: upload, query, Apple-compatible fetch (legacy and v2), macless-haystack,
 * health, OpenAPI. Every error is RFC 9457 problem+json.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { base64ToBytes, bytesToBase64, FormatError, nobleP224, type P224Engine } from '../../crypto/index.ts';
import {
  AppleLegacyRequest,
  AppleLegacyResponse,
  AppleV2Request,
  AppleV2Response,
  DEFAULT_QUERY_LIMIT,
  Health,
  MaclessRequest,
  MAX_QUERY_IDS,
  ProblemSchema,
  QueryRequest,
  QueryResponse,
  UploadRequest,
  UploadResult,
} from '../contract/schemas.ts';
import type { AppConfig } from '../rules/config.ts';
import { decodeCursor, encodeCursor } from '../contract/cursor.ts';
import { appleLegacyJson, appleV2Json, JSON_HEADERS, queryPageJson } from './json-body.ts';
import { rateLimit } from './middleware/rate-limit/index.ts';
import { requestLog } from './middleware/request-log/index.ts';
import { TokenBucketLimiter, type RateLimiter } from './middleware/rate-limit/limiter.ts';
import { renderDocs } from './docs.ts';
import { ProblemError, problemResponse } from './problem.ts';
import { StoreUnavailableError, type NewReport, type ReportStore, type StoredReport } from '../storage/store.ts';
import {
  acceptanceWindow,
  MAX_CLOCK_SKEW_SECONDS,
  parseBinaryUpload,
  UploadItemError,
  validateUploadItem,
  BINARY_RECORD_LENGTH,
} from '../rules/upload.ts';

/** What the app is built from. */
export interface AppDependencies {
  readonly store: ReportStore;
  readonly config: AppConfig;
  /** Current time in Unix ms; injected so tests can move it. */
  readonly clock?: () => number;
  /** Where request lines go (never ids, payloads or addresses). */
  readonly log?: (line: string) => void;
  /** The connecting peer's address, as the runtime knows it (Node socket, Cloudflare header). */
  readonly peerAddress?: (c: Context) => string | undefined;
  /** Override the limiters built from config (Workers pass the platform's binding). */
  readonly limiters?: { readonly upload?: RateLimiter; readonly query?: RateLimiter };
  /** Checks uploaded ephemeral keys; the entry points pass the fast engine, the default is the noble reference. */
  readonly p224?: P224Engine;
}

const DAY_SECONDS = 86_400;
/** Page size the compatibility endpoints use to collect all matching reports. */
const COMPAT_PAGE = 5000;
/** Most reports one compatibility request returns; Apple's own service returns far fewer. */
const MAX_COMPAT_RESULTS = 100_000;
/** Body cap for requests that carry only ids. */
const ID_REQUEST_BODY_LIMIT = 256 * 1024;
/** A JSON upload item is about 180 bytes; the cap leaves room for whitespace. */
const JSON_BYTES_PER_UPLOAD_ITEM = 256;

/** Apple's APIs and macless-haystack name the media type loosely; accept any JSON variant. */
function isJson(c: Context): boolean {
  return /^application\/([a-z.+-]*\+)?json\b/i.test(c.req.header('content-type') ?? '');
}

async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  if (!isJson(c)) throw new ProblemError(415, 'send the body as application/json');
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ProblemError(400, 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProblemError(400, `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Decodes one base64 field, naming it (and the batch item, for uploads) when it is not valid. */
function decodeField(text: string, field: string, itemIndex?: number): Uint8Array {
  try {
    return base64ToBytes(text);
  } catch (error) {
    const detail = `${field}: ${(error as Error).message}`;
    throw itemIndex === undefined ? new ProblemError(400, detail) : new UploadItemError(itemIndex, detail);
  }
}

function decodeIds(ids: readonly string[], field: string): Uint8Array[] {
  return ids.map((id, i) => decodeField(id, `${field}.${i}`));
}

/**
 * @example const app = createApp({ store, config: DEFAULT_CONFIG }); await app.request('/v1/health');
 */
export function createApp({
  store,
  config,
  clock = Date.now,
  log = console.log,
  peerAddress = () => undefined,
  limiters = {},
  p224 = nobleP224,
}: AppDependencies): OpenAPIHono {
  const app = new OpenAPIHono();
  const retentionSeconds = config.retentionDays * DAY_SECONDS;
  const methodsByPath = new Map<string, string[]>();
  const nowSeconds = () => Math.floor(clock() / 1000);

  /**
   * Observation window in seconds, clamped to what can be stored: nothing older than the
   * retention window, nothing newer than the clock-skew allowance. The clamp also bounds the
   * storage buckets a query names, whatever dates a client sends.
   */
  function observationWindow(sinceMs: number | undefined, untilMs: number | undefined) {
    const now = nowSeconds();
    return {
      since: Math.max(sinceMs === undefined ? 0 : Math.ceil(sinceMs / 1000), now - retentionSeconds),
      until: Math.min(untilMs === undefined ? Infinity : Math.floor(untilMs / 1000), now + MAX_CLOCK_SKEW_SECONDS),
    };
  }

  async function allReports(
    hashedIds: Uint8Array[],
    window: { since: number; until: number },
  ): Promise<StoredReport[]> {
    const found: StoredReport[] = [];
    for (let after: StoredReport | undefined; found.length < MAX_COMPAT_RESULTS;) {
      const page = await store.query({ hashedIds, ...window, limit: COMPAT_PAGE, ...(after ? { after } : {}) });
      found.push(...page);
      if (page.length < COMPAT_PAGE) break;
      after = page[page.length - 1];
    }
    return found;
  }

  function register(
    method: 'get' | 'post',
    path: string,
    summary: string,
    request: object | undefined,
    responses: Record<number, object>,
  ) {
    methodsByPath.set(path, [...(methodsByPath.get(path) ?? []), method.toUpperCase()]);
    const problem = {
      description: 'Problem (RFC 9457)',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
    const inputProblems = request ? { 400: problem, 413: problem, 415: problem, 429: problem } : {};
    app.openAPIRegistry.registerPath({
      method,
      path,
      summary,
      ...(request ? { request: { body: { required: true, content: request } } } : {}),
      responses: { ...responses, ...inputProblems, 503: problem },
    } as Parameters<typeof app.openAPIRegistry.registerPath>[0]);
  }
  const json = (schema: z.ZodType, description: string) => ({
    description,
    content: { 'application/json': { schema } },
  });

  app.use('*', requestLog(log));
  const ownerCors = cors({ origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins] });
  for (const path of OWNER_ROUTES.filter((p) => p !== MACLESS_ROUTE)) app.use(path, ownerCors);
  app.use(MACLESS_ROUTE, async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(MACLESS_CORS_HEADERS)) c.res.headers.set(name, value);
  });
  // After CORS, so that preflights cost nothing and a 429 still reaches the browser.
  // Behind a trusted proxy the client is the first X-Forwarded-For hop; otherwise the peer.
  const clientOf = (c: Context) =>
    (config.trustProxy ? c.req.header('x-forwarded-for')?.split(',')[0]?.trim() : undefined) ??
    peerAddress(c) ??
    'unknown';
  const uploadLimiter =
    limiters.upload ??
    (config.uploadsPerMinute > 0 ? new TokenBucketLimiter(config.uploadsPerMinute, clock) : undefined);
  const queryLimiter =
    limiters.query ??
    (config.queriesPerMinute > 0 ? new TokenBucketLimiter(config.queriesPerMinute, clock) : undefined);
  if (uploadLimiter) app.use('/v1/reports', rateLimit(uploadLimiter, clientOf));
  if (queryLimiter) for (const path of OWNER_ROUTES) app.use(path, rateLimit(queryLimiter, clientOf));
  const idRequestLimit = bodyLimit({
    maxSize: ID_REQUEST_BODY_LIMIT,
    onError: () => problemResponse(413, `the body exceeds ${ID_REQUEST_BODY_LIMIT} bytes`),
  });
  const uploadLimitBytes = config.maxBatch * Math.max(JSON_BYTES_PER_UPLOAD_ITEM, BINARY_RECORD_LENGTH) + 1024;

  // Finder upload.
  register(
    'post',
    '/v1/reports',
    'Upload sealed location reports (JSON or 120-byte binary records), all or nothing',
    {
      'application/json': { schema: UploadRequest },
      'application/octet-stream': {
        schema: {
          type: 'string',
          format: 'binary',
          description: 'Concatenated records: 32-byte hashed id, 88-byte payload',
        },
      },
    },
    { 200: json(UploadResult, 'Stored; duplicates were already present') },
  );
  app.post(
    '/v1/reports',
    bodyLimit({
      maxSize: uploadLimitBytes,
      onError: () => problemResponse(413, `the body exceeds ${uploadLimitBytes} bytes (MAX_BATCH ${config.maxBatch})`),
    }),
    async (c) => {
      const window = acceptanceWindow(nowSeconds(), retentionSeconds);
      let reports: NewReport[];
      if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('application/octet-stream')) {
        reports = parseBinaryUpload(new Uint8Array(await c.req.arrayBuffer()), window, config.maxBatch, p224);
      } else if (isJson(c)) {
        const body = await readJson(c, UploadRequest);
        if (body.reports.length > config.maxBatch)
          throw new ProblemError(400, `a batch holds at most ${config.maxBatch} reports, got ${body.reports.length}`);
        reports = body.reports.map((item, i) =>
          validateUploadItem(i, decodeField(item.id, 'id', i), decodeField(item.payload, 'payload', i), window, p224),
        );
      } else {
        throw new ProblemError(415, 'send reports as application/json or application/octet-stream');
      }
      const { accepted, duplicates, rejected } = await store.insert(
        reports,
        nowSeconds(),
        config.maxReportsPerIdPerDay,
      );
      // `rejected` appears only when the per-id cap turned reports away.
      return c.json(rejected > 0 ? { accepted, duplicates, rejected } : { accepted, duplicates });
    },
  );

  // Owner query.
  register(
    'post',
    '/v1/reports/query',
    'Fetch reports by hashed id, in observation-time order, with cursor paging',
    { 'application/json': { schema: QueryRequest } },
    {
      200: json(QueryResponse, 'One page of reports'),
    },
  );
  app.post('/v1/reports/query', idRequestLimit, async (c) => {
    const body = await readJson(c, QueryRequest);
    const limit = body.limit ?? DEFAULT_QUERY_LIMIT;
    let after;
    try {
      after = body.cursor === undefined ? undefined : decodeCursor(body.cursor);
    } catch (error) {
      throw new ProblemError(400, `cursor: ${(error as Error).message}`);
    }
    const found = await store.query({
      hashedIds: decodeIds(body.ids, 'ids'),
      ...observationWindow(body.since, body.until),
      limit: limit + 1,
      ...(after ? { after } : {}),
    });
    const page = found.slice(0, limit);
    return c.body(
      queryPageJson(page, found.length > limit ? encodeCursor(page[page.length - 1]!) : null),
      200,
      JSON_HEADERS,
    );
  });

  // Apple-compatible fetch: legacy acsnservice.
  register(
    'post',
    '/acsnservice/fetch',
    "Apple's legacy fetch API (acsnservice), for clients written against it",
    { 'application/json': { schema: AppleLegacyRequest } },
    {
      200: json(AppleLegacyResponse, 'Reports in Apple’s legacy shape'),
    },
  );
  app.post('/acsnservice/fetch', idRequestLimit, async (c) => {
    const body = await readJson(c, AppleLegacyRequest);
    checkIdCount(body.search.reduce((n, s) => n + s.ids.length, 0));
    const found: StoredReport[] = [];
    for (const [i, search] of body.search.entries()) {
      for (const r of await allReports(
        decodeIds(search.ids, `search.${i}.ids`),
        observationWindow(search.startDate, search.endDate),
      ))
        found.push(r);
    }
    return c.body(appleLegacyJson(found), 200, JSON_HEADERS);
  });

  // Apple-compatible fetch: findmyservice v2, as FindMy.py calls it.
  register(
    'post',
    '/findmyservice/v2/fetch',
    "Apple's current fetch API (findmyservice v2)",
    { 'application/json': { schema: AppleV2Request } },
    {
      200: json(AppleV2Response, 'Reports grouped by id, in Apple’s v2 shape'),
    },
  );
  app.post('/findmyservice/v2/fetch', idRequestLimit, async (c) => {
    const body = await readJson(c, AppleV2Request);
    checkIdCount(body.fetch.reduce((n, f) => n + f.primaryIds.length + f.secondaryIds.length, 0));
    // Reports grouped by id, in the order ids first appear.
    const byId = new Map<string, StoredReport[]>();
    for (const [i, f] of body.fetch.entries()) {
      const lookups: Array<[string[], number | undefined, string]> = [
        [f.primaryIds, f.startDate, 'primaryIds'],
        [f.secondaryIds, f.startDateSecondary ?? f.startDate, 'secondaryIds'],
      ];
      for (const [ids, start, field] of lookups) {
        if (ids.length === 0) continue;
        for (const r of await allReports(decodeIds(ids, `fetch.${i}.${field}`), observationWindow(start, f.endDate))) {
          const key = bytesToBase64(r.hashedId);
          const group = byId.get(key);
          if (group) group.push(r);
          else byId.set(key, [r]);
        }
      }
    }
    return c.body(appleV2Json([...byId.values()]), 200, JSON_HEADERS);
  });

  // macless-haystack endpoint, a drop-in for its app (SPEC §9), with real errors.
  register(
    'post',
    '/compat/macless-haystack',
    'macless-haystack endpoint: reports of the last `days` days, newest first',
    { 'application/json': { schema: MaclessRequest } },
    {
      200: json(AppleLegacyResponse, 'Reports in the legacy shape, newest first'),
    },
  );
  app.post('/compat/macless-haystack', idRequestLimit, async (c) => {
    const body = await readJson(c, MaclessRequest);
    const since = (nowSeconds() - (body.days ?? 7) * DAY_SECONDS) * 1000;
    const found = await allReports(decodeIds(body.ids, 'ids'), observationWindow(since, undefined));
    return c.body(appleLegacyJson(found.reverse()), 200, JSON_HEADERS);
  });
  app.get('/compat/macless-haystack', (c) => c.text('Nothing to see here'));
  app.options('/compat/macless-haystack', (c) => c.body(null, 200));
  methodsByPath.set('/compat/macless-haystack', ['POST', 'GET', 'OPTIONS']);

  // Health.
  register('get', '/v1/health', 'Whether the database answers', undefined, {
    200: json(Health, 'The database answers'),
  });
  app.get('/v1/health', async (c) => {
    await store.ping();
    return c.json({ status: 'ok' as const });
  });

  // OpenAPI and its rendering.
  const openApiConfig = {
    openapi: '3.1.0',
    info: {
      title: 'Crowdfind',
      version: '0.1.0',
      description: 'Offline-finding crowd network backend, Apple-compatible reports',
    },
  };
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openApiDocument = () => (document ??= app.getOpenAPI31Document(openApiConfig));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(renderDocs(openApiDocument())));
  methodsByPath.set('/openapi.json', ['GET']);
  methodsByPath.set('/docs', ['GET']);

  app.notFound((c) => {
    const allowed = methodsByPath.get(c.req.path);
    if (allowed)
      return problemResponse(405, `${c.req.method} is not allowed here; use ${allowed.join(', ')}`, {
        headers: { allow: allowed.join(', ') },
      });
    return problemResponse(404, `no route ${c.req.path}`);
  });

  app.onError((error) => {
    if (error instanceof ProblemError)
      return problemResponse(error.status, error.message, error.index === undefined ? {} : { index: error.index });
    if (error instanceof UploadItemError) return problemResponse(400, error.message, { index: error.index });
    if (error instanceof FormatError) return problemResponse(400, error.message);
    if (error instanceof StoreUnavailableError)
      return problemResponse(503, error.message, { headers: { 'retry-after': '1' } });
    log(`internal error: ${error.name}`);
    return problemResponse(500, 'the server failed to handle the request');
  });

  return app;
}

const MACLESS_ROUTE = '/compat/macless-haystack';
/** Routes owners query: CORS for browsers, and the query rate limit. */
const OWNER_ROUTES = ['/v1/reports/query', '/acsnservice/fetch', '/findmyservice/v2/fetch', MACLESS_ROUTE];

const MACLESS_CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
  'access-control-allow-private-network': 'true',
};

function checkIdCount(count: number): void {
  if (count > MAX_QUERY_IDS) throw new ProblemError(400, `at most ${MAX_QUERY_IDS} ids per request, got ${count}`);
}
