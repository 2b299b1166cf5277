/**
 * What every route module shares: the parts it is built from, and the pieces of a route
 * declaration (`createRoute`) that repeat, so that each route states its body and its answer
 * and gets its problem answers the same way as every other.
 */
import type { AppObserver } from '../observer.ts';
import type { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { P224Engine } from '../../../crypto/index.ts';
import { ProblemSchema } from '../../contract/schemas.ts';
import { secondsToMs } from '../../contract/times.ts';
import type { AppConfig } from '../../rules/config.ts';
import type { Context, MiddlewareHandler } from 'hono';
import type { Notifier } from '../../notify/notifier.ts';
import type { NoticeStore } from '../../storage/notices/store.ts';
import type { ShareStore } from '../../storage/shares/store.ts';
import type { MailboxStore } from '../../storage/mailboxes/store.ts';
import type { AttachmentStore } from '../../storage/attachments/store.ts';
import type { ReportStore } from '../../storage/store.ts';
import type { CostLimit } from '../middleware/rate-limit/index.ts';
import type { StorageMeter } from '../storage-use.ts';
import { ProblemError, problemResponse } from '../problem.ts';
import { DAY_SECONDS } from '../../rules/retention.ts';
import { storageState, type BudgetName } from '../../rules/storage-budget.ts';

/** What route handlers are built from (createApp passes it to every route module). */
export interface RouteContext {
  readonly store: ReportStore;
  readonly config: AppConfig;
  /** Checks uploaded ephemeral keys. */
  readonly p224: P224Engine;
  /** The injected clock, in whole Unix seconds, what storage keeps. */
  readonly nowSeconds: () => number;
  /** The injected clock, in Unix ms, what the /v1 routes' bodies say (src/contract/times.ts). */
  readonly nowMs: () => number;
  /** Takes an upload's reports from its client's report limit (RATE_LIMIT_REPORTS). */
  readonly limitReports: CostLimit;
  /** Takes a write's bytes from its client's daily share of the owner stores (CLIENT_STORAGE_MB_PER_DAY). */
  readonly limitStoredBytes: CostLimit;
  /** What each storage budget's stores hold. */
  readonly storage: StorageMeter;
  /** Lost-mode notices. */
  readonly notices: NoticeStore;
  /** Share links' ciphertexts. */
  readonly shares: ShareStore;
  /** The owner↔device channel's mailboxes. */
  readonly mailboxes: MailboxStore;
  /** Its attachments' chunks. */
  readonly attachments: AttachmentStore;
  /** Notify-when-found: subscriptions and the delivery of new reports to them. */
  readonly notifier: Notifier;
  /** Who is asking, for per-client limits: the peer, or behind a trusted proxy the forwarded client. */
  readonly clientOf: (c: Context) => string;
  /** Lets work finish after the answer (Workers' waitUntil); its failure is logged, not lost. */
  readonly inBackground: (c: Context, work: Promise<unknown>) => void;
  /** Hears of stored reports (metrics). */
  readonly observer: AppObserver;
}

/** A problem answer, documented with what it means on the routes that give it. */
export const problem = (description: string) =>
  ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } }) as const;

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { 'application/json': { schema } } } } as const;
}

/** A JSON answer. */
export function jsonAnswer<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

const UNAVAILABLE = problem('The database cannot take the work now (busy, full); Retry-After says when to try again');

/** The problems a route that takes a body may answer. */
export const BODY_PROBLEMS = {
  400: problem('Bad input: the detail names the field, and `index` the first bad report of an upload'),
  413: problem('The body is larger than the route takes'),
  415: problem('The body is not of a type the route takes'),
  429: problem('Too many requests (or, for uploads, reports) from this client; Retry-After says when to try again'),
  503: UNAVAILABLE,
} as const;
/** The problems a route that stores what it is sent may answer: a body's, and a full database. */
export const WRITE_PROBLEMS = {
  ...BODY_PROBLEMS,
  507: problem(
    'Past the storage budget of what the route writes: STORAGE_BUDGET_MB for reports, OWNER_STORAGE_BUDGET_MB for notices, shares and mailboxes',
  ),
} as const;
/** The problem a route without a body may answer. */
export const STORAGE_PROBLEMS = { 503: UNAVAILABLE } as const;

/** Body cap for requests that carry only ids (2,048 ids are about 100 KB of JSON). */
const ID_REQUEST_BODY_LIMIT = 256 * 1024;

/**
 * A body cap that answers 413 as problem+json, naming the cap (and, given, what sets it).
 * @example limitBody(512 * 1024)
 */
export function limitBody(maxSize: number, setBy = ''): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => problemResponse(413, `the body exceeds ${maxSize} bytes${setBy ? ` (${setBy})` : ''}`),
  });
}

/** Applied to every owner route: their bodies carry only ids and a few numbers. */
export const idRequestBodyLimit = limitBody(ID_REQUEST_BODY_LIMIT);

/** The budget of each store, from the settings. */
export const budgetOf = (config: AppConfig, name: BudgetName) =>
  name === 'reports' ? config.storageBudgetBytes : config.ownerStorageBudgetBytes;

/**
 * How a budget's stores stand against it (nothing is measured without a budget).
 * @example (await storageOf(context, 'reports')).state // 'ok' | 'warning' | 'full'
 */
export async function storageOf({ storage, config }: Pick<RouteContext, 'storage' | 'config'>, name: BudgetName) {
  const budget = budgetOf(config, name);
  return storageState(budget > 0 ? (await storage.use())[name] : undefined, budget, name);
}

/**
 * Refuses (400, naming the field) an expiry that is not after now or lies more than `days`
 * ahead; both in Unix ms, as the body says them.
 * @example checkExpiry('notices.0.expiresAt', item.expiresAt, nowMs(), MAX_NOTICE_DAYS)
 */
export function checkExpiry(field: string, expiresAtMs: number, nowMs: number, days: number): void {
  if (expiresAtMs <= nowMs || expiresAtMs > nowMs + secondsToMs(days * DAY_SECONDS))
    throw new ProblemError(400, `${field}: must lie between now and ${days} days ahead`);
}

/** Refuses a write with 507 once the stores it writes to are past their storage budget. */
export async function refuseWhenFull(
  context: Pick<RouteContext, 'storage' | 'config'>,
  name: BudgetName = 'reports',
): Promise<void> {
  const storage = await storageOf(context, name);
  if (storage.state === 'full') throw new ProblemError(507, storage.detail);
}

/**
 * Admits a write of `bytes` to the owner stores (notices, shares, mailboxes), which anyone may
 * write to: refused past their budget (507) or past the client's bytes of the day (429).
 */
export async function admitOwnerWrite(
  context: Pick<RouteContext, 'storage' | 'config' | 'limitStoredBytes'>,
  c: Context,
  bytes: number,
): Promise<void> {
  await refuseWhenFull(context, 'ownerStores');
  await context.limitStoredBytes(c, bytes);
  context.storage.wrote(bytes);
}

/**
 * Refuses a request without a content type as one of the wrong type (415): the declarations'
 * own media-type check lets an empty body without one through to validation.
 */
export const typedBody: MiddlewareHandler = async (c, next) => {
  if (!c.req.header('content-type')) throw new HTTPException(415);
  await next();
};
