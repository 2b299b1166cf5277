/**
 * The HTTP API as one Hono app built from injected parts (store, clock, config, log), so the
 * Node server and the Worker run the very same routes. Each route is declared once, in the
 * module of its audience under routes/ (finder, owner, Apple-compatible, macless, meta): its
 * OpenAPI entry, its validation and its 405 answers all come from that declaration. Every
 * error is RFC 9457 problem+json, made in problem.ts.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { FormatError, nobleP224, type P224Engine } from '../../crypto/index.ts';
import { clientKey } from '../rules/client-key.ts';
import type { AppConfig } from '../rules/config.ts';
import { UploadItemError } from '../rules/upload.ts';
import { SubscriptionHub } from '../notify/hub.ts';
import { localNotifier, type Notifier } from '../notify/notifier.ts';
import type { NoticeStore } from '../storage/notices/store.ts';
import type { ShareStore } from '../storage/shares/store.ts';
import type { MailboxStore } from '../storage/mailboxes/store.ts';
import type { AttachmentStore } from '../storage/attachments/store.ts';
import { StoreUnavailableError, type ReportStore } from '../storage/store.ts';
import { ownerQueue, queueGate } from './middleware/owner-queue/index.ts';
import { costLimit, rateLimit } from './middleware/rate-limit/index.ts';
import { TokenBucketLimiter, type RateLimiter } from './middleware/rate-limit/limiter.ts';
import { requestLog } from './middleware/request-log/index.ts';
import { storageMeter } from './storage-use.ts';
import { UNOBSERVED, type AppObserver } from './observer.ts';
import { invalidRequest, ProblemError, problemResponse } from './problem.ts';
import { appleLegacyFetchRoute, appleRoutes, appleV2FetchRoute } from './routes/apple.ts';
import type { RouteContext } from './routes/declare.ts';
import { finderRoutes, UPLOAD_PATH } from './routes/finder.ts';
import { maclessCors, maclessRoute, maclessRoutes } from './routes/macless.ts';
import { HEALTH_PATH, metaRoutes } from './routes/meta.ts';
import { findNoticesRoute, noticeRoutes, publishNoticesRoute, withdrawNoticesRoute } from './routes/notices.ts';
import { ownerRoutes, queryRoute } from './routes/owner.ts';
import { MAILBOX_PATHS, mailboxRoutes } from './routes/mailboxes.ts';
import { SHARE_PATHS, shareRoutes } from './routes/shares.ts';
import { SUBSCRIPTION_PATHS, subscriptionRoutes } from './routes/subscriptions.ts';
import { webRoutes, type WebAssets } from './routes/web.ts';

/** What the app is built from. */
export interface AppDependencies {
  readonly store: ReportStore;
  /** Lost-mode notices, in the same database as the reports. */
  readonly notices: NoticeStore;
  /** Share links' ciphertexts, likewise. */
  readonly shares: ShareStore;
  /** The owner↔device channel's mailboxes, likewise. */
  readonly mailboxes: MailboxStore;
  /** Their attachments' chunks (the SQLite file on Node, R2 on Workers). */
  readonly attachments: AttachmentStore;
  /** Notify-when-found; by default a hub in this process that delivers no webhooks. */
  readonly notifier?: Notifier;
  readonly config: AppConfig;
  /** Current time in Unix ms; injected so tests can move it. */
  readonly clock?: () => number;
  /**
   * The bytes the owner stores (notices, shares, mailboxes, attachments) keep, for their budget
   * and to leave them out of the reports'; without it, the database's size is all reports'.
   */
  readonly ownerStoreBytes?: () => Promise<number>;
  /** Where request lines go (never ids, payloads or addresses). */
  readonly log?: (line: string) => void;
  /** The connecting peer's address, as the runtime knows it (Node socket, Cloudflare header). */
  readonly peerAddress?: (c: Context) => string | undefined;
  /** Override the limiters built from config (Workers pass the platform's binding). */
  readonly limiters?: { readonly upload?: RateLimiter; readonly query?: RateLimiter };
  /** Checks uploaded ephemeral keys; the entry points pass the fast engine, the default is the noble reference. */
  readonly p224?: P224Engine;
  /** The built owner's page; without it `/` leads to /docs. */
  readonly webAssets?: WebAssets;
  /**
   * Whether owner queries take turns with uploads for the thread that serves them
   * (`config.ownerQueryConcurrency`, middleware/owner-queue). Node sets it: its SQLite reads run
   * on the thread that also commits uploads and answers health. A Worker must not: its database
   * is remote, so there is no thread to share; and a query waiting for its turn waits on a
   * promise only another request resolves, which workerd cancels at once as hung, while a turn
   * handed on by a timer dies with the request that set it, leaving every later query waiting.
   */
  readonly ownerTurns?: boolean;
  /** True once the server is shutting down: from then on every new request is refused with 503. */
  readonly stopping?: () => boolean;
  /** Told of stored reports, answered queries and rate-limit refusals (the Node runtime's metrics). */
  readonly observer?: AppObserver;
}

/** CLIENT_STORAGE_MB_PER_DAY refills over this many minutes. */
const DAY_MINUTES = 24 * 60;
/** What a request that arrives while the server stops is told to wait before trying again (a restart takes about this long). */
const STOPPING_RETRY_AFTER_SECONDS = 2;
/** Uploads this recent mean finders are still uploading, and owner queries take turns with them. */
const UPLOADS_RECENT_MS = 1000;
/** Owner queries that may wait for their turn before more are refused. */
const OWNER_QUERIES_WAITING = 64;

/** Routes owners call: CORS for browsers, and their turns. */
const OWNER_PATHS = [queryRoute, appleLegacyFetchRoute, appleV2FetchRoute, maclessRoute].map((route) => route.path);
/** Lost-mode and share routes: CORS for browsers, but no turns (they do not read reports). */
const LOST_MODE_PATHS = [
  ...[findNoticesRoute, withdrawNoticesRoute, publishNoticesRoute].map((route) => route.path),
  ...SUBSCRIPTION_PATHS,
  ...SHARE_PATHS,
  ...MAILBOX_PATHS,
];

/** API paths no request limit counts: health for monitors, which reads two numbers. */
const UNLIMITED_API_PATHS = new Set([HEALTH_PATH]);

/**
 * Whether the query limit counts a request to `path`: every API route but health (uploads have
 * their own). The page's files, its reference and unknown paths read nothing and are not counted.
 */
function isLimitedPath(path: string): boolean {
  if (UNLIMITED_API_PATHS.has(path)) return false;
  return path.startsWith('/v1/') || (OWNER_PATHS as readonly string[]).includes(path);
}

/**
 * @example const app = createApp({ store, config: DEFAULT_CONFIG }); await app.request('/v1/health');
 */
export function createApp({
  store,
  notices,
  shares,
  mailboxes,
  attachments,
  notifier,
  config,
  clock = Date.now,
  log = console.log,
  peerAddress = () => undefined,
  limiters = {},
  p224 = nobleP224,
  webAssets,
  ownerTurns = false,
  ownerStoreBytes,
  stopping = () => false,
  observer = UNOBSERVED,
}: AppDependencies): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error.issues[0]!);
    },
  });

  app.use('*', requestLog(log));
  // Requests already running finish; new work would be cut off by the stop, or (a subscription)
  // be lost with the process, so it is refused in a way clients retry.
  app.use('*', async (_, next) => {
    if (!stopping()) return next();
    return problemResponse(503, 'the server is stopping; try again in a moment', {
      headers: { 'retry-after': String(STOPPING_RETRY_AFTER_SECONDS) },
    });
  });
  const ownerCors = cors({ origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins] });
  for (const path of OWNER_PATHS)
    app.use(path, path === maclessRoute.path ? maclessCors(config.corsOrigins) : ownerCors);
  for (const path of LOST_MODE_PATHS) app.use(path, ownerCors);
  // Timed from here, so that a query's time includes its wait for a turn and a 429 counts.
  for (const path of OWNER_PATHS)
    app.use(path, async (c, next) => {
      const started = performance.now();
      await next();
      observer.queried(path, c.res.status, (performance.now() - started) / 1000);
    });
  // After CORS, so that preflights cost nothing and a 429 still reaches the browser.
  // Behind a trusted proxy the client is the first X-Forwarded-For hop; otherwise the peer.
  // An IPv6 client is its network (CLIENT_IPV6_PREFIX), not one of its 2⁶⁴ addresses.
  const clientOf = (c: Context) =>
    clientKey(
      (config.trustProxy ? c.req.header('x-forwarded-for')?.split(',')[0]?.trim() : undefined) ??
        peerAddress(c) ??
        'unknown',
      config.clientIpv6Prefix,
    );
  const limiterFor = (perMinute: number) => (perMinute > 0 ? new TokenBucketLimiter(perMinute, clock) : undefined);
  const uploadLimiter = limiters.upload ?? limiterFor(config.uploadsPerMinute);
  const queryLimiter = limiters.query ?? limiterFor(config.queriesPerMinute);
  const uploadLimit = uploadLimiter && rateLimit(uploadLimiter, clientOf, () => observer.rateLimited('uploads'));
  const queryLimit = queryLimiter && rateLimit(queryLimiter, clientOf, () => observer.rateLimited('queries'));
  // One middleware for every path, so that a route added later is limited without being listed.
  app.use('*', async (c, next) => {
    const limit = c.req.path === UPLOAD_PATH ? uploadLimit : isLimitedPath(c.req.path) ? queryLimit : undefined;
    return limit ? limit(c, next) : next();
  });
  if (ownerTurns && config.ownerQueryConcurrency > 0) useOwnerTurns(app, config.ownerQueryConcurrency);

  const reportLimiter = limiterFor(config.reportsPerMinute);
  // A day's bytes with no smaller burst: a phone may send a day's photos at once.
  const byteLimiter =
    config.clientBytesPerDay > 0
      ? new TokenBucketLimiter(config.clientBytesPerDay / DAY_MINUTES, clock, config.clientBytesPerDay)
      : undefined;
  const context: RouteContext = {
    store,
    config,
    p224,
    nowSeconds: () => Math.floor(clock() / 1000),
    nowMs: clock,
    limitReports: reportLimiter
      ? costLimit(reportLimiter, clientOf, 'reports', () => observer.rateLimited('reports'))
      : async () => {},
    limitStoredBytes: byteLimiter
      ? costLimit(byteLimiter, clientOf, 'bytes stored', () => observer.rateLimited('bytes stored'))
      : async () => {},
    storage: storageMeter(store, ownerStoreBytes),
    observer,
    notices,
    shares,
    mailboxes,
    attachments,
    notifier: notifier ?? localNotifier(new SubscriptionHub({ clock })),
    clientOf,
    inBackground: (c, work) => {
      const logged = work.catch((error: Error) => log(`background work failed: ${error.name}: ${error.message}`));
      try {
        c.executionCtx.waitUntil(logged);
      } catch {
        // Node has no execution context: the process lives on, and so does the work.
      }
    },
  };
  finderRoutes(app, context);
  ownerRoutes(app, context);
  appleRoutes(app, context);
  maclessRoutes(app, context);
  noticeRoutes(app, context);
  subscriptionRoutes(app, context);
  shareRoutes(app, context);
  mailboxRoutes(app, context);
  webRoutes(app, context, webAssets);
  metaRoutes(app, context);

  // A path that exists answers 405 with the methods its routes were declared with.
  const methodsOf = (path: string) => [
    ...new Set(app.routes.filter((r) => r.path === path && r.method !== 'ALL').map((r) => r.method)),
  ];
  app.notFound((c) => {
    const allowed = methodsOf(c.req.path);
    // The path is not echoed: a problem's detail must not carry a client's input back unescaped.
    if (allowed.length === 0) return problemResponse(404, 'no route here; /docs lists them');
    return problemResponse(405, `${c.req.method} is not allowed here; use ${allowed.join(', ')}`, {
      headers: { allow: allowed.join(', ') },
    });
  });

  app.onError((error, c) => {
    // Reading the body of a client that hung up fails; that is the client's doing, not a 500.
    if (c.req.raw.signal.aborted) return problemResponse(400, 'the client went away before its request was whole');
    if (error instanceof ProblemError) return problemResponse(error.status, error.message, { headers: error.headers });
    if (error instanceof UploadItemError) return problemResponse(400, error.message, { index: error.index });
    if (error instanceof FormatError) return problemResponse(400, error.message);
    if (error instanceof StoreUnavailableError)
      return problemResponse(503, error.message, { headers: { 'retry-after': '1' } });
    if (error instanceof HTTPException) return requestProblem(app, c, error.status);
    log(`internal error: ${error.name}`);
    return problemResponse(500, 'the server failed to handle the request');
  });

  return app;
}

/**
 * Owner queries take turns (middleware/owner-queue): `concurrency` at once, and a pause after
 * each turn while finders are uploading. Finders count as uploading while uploads keep coming:
 * one queued in its socket, not yet read while a query holds the thread, is in no count of
 * uploads in flight.
 */
function useOwnerTurns(app: OpenAPIHono, concurrency: number): void {
  let lastUpload = -Infinity;
  app.use(UPLOAD_PATH, async (_, next) => {
    lastUpload = performance.now();
    try {
      await next();
    } finally {
      lastUpload = performance.now();
    }
  });
  const uploadsComing = () => performance.now() - lastUpload < UPLOADS_RECENT_MS;
  const gate = queueGate(concurrency, OWNER_QUERIES_WAITING, uploadsComing);
  for (const path of OWNER_PATHS) app.use(path, ownerQueue(gate));
}

/** The problem for what a route's declaration refused before its handler ran (unreadable JSON, a body type it does not take). */
function requestProblem(app: OpenAPIHono, c: Context, status: number): Response {
  if (status !== 415)
    return problemResponse(status, status === 400 ? 'the body is not valid JSON' : 'the request was refused');
  const declared = app.openAPIRegistry.definitions.find(
    (d) => d.type === 'route' && d.route.path === c.req.path && d.route.method.toUpperCase() === c.req.method,
  );
  const types = declared?.type === 'route' ? Object.keys(declared.route.request?.body?.content ?? {}) : [];
  return problemResponse(415, `send the body as ${types.join(' or ') || 'one of the declared types'}`);
}
