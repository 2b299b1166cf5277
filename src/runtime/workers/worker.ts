/**
 * The Cloudflare Workers entry: the same app on D1, one database or several shards.
 * `fetch` serves the API; `scheduled` (the cron in wrangler.toml) prunes expired reports and
 * notices; SubscriptionHubObject holds notify-when-found subscriptions.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { fastP224, type P224Engine } from '../../../crypto/index.ts';
import p224Module from '../../../crypto/wasm/p224.wasm';
import { createApp } from '../../http/app.ts';
import type { WebAssets } from '../../http/routes/web.ts';
import { configFromEnv, envText, type Environment } from '../../rules/config.ts';
import { retentionStart } from '../../rules/retention.ts';
import { D1ReportStore } from '../../storage/d1/store.ts';
import { ShardedReportStore } from '../../storage/sharded/store.ts';
import { d1Executor } from '../../storage/sql-executor.ts';
import { SqlNoticeStore, type NoticeStore } from '../../storage/notices/store.ts';
import { SqlShareStore } from '../../storage/shares/store.ts';
import { SqlMailboxStore } from '../../storage/mailboxes/store.ts';
import { R2AttachmentStore } from '../../storage/attachments/r2.ts';
import type { AttachmentStore } from '../../storage/attachments/store.ts';
import { StoreUnavailableError, type ReportStore } from '../../storage/store.ts';
import { BindingRateLimiter } from './binding-rate-limiter.ts';
import { durableNotifier, SubscriptionHubObject } from './subscription-hub.ts';

export { SubscriptionHubObject };

/** Bindings and [vars] the Worker reads (see wrangler.toml and the README). */
export interface WorkerEnv {
  /** Shard 0, and the only database of an unsharded deployment. */
  readonly DB: D1Database;
  /** Optional comma-separated binding names of all shards in order; default DB, DB_1, DB_2, … as bound. */
  readonly SHARDS?: string;
  readonly RETENTION_DAYS?: string | number;
  readonly MAX_BATCH?: string | number;
  readonly CORS_ORIGINS?: string;
  /** Optional `[[ratelimits]]` bindings; without them the limits are kept per isolate. */
  readonly UPLOAD_RATE_LIMITER?: RateLimit;
  readonly QUERY_RATE_LIMITER?: RateLimit;
  /** The channel's attachment chunks (photos). */
  readonly ATTACHMENTS?: R2Bucket;
  /** The built owner's page ([assets] in wrangler.toml). */
  readonly ASSETS?: Fetcher;
  /** The Durable Object that holds notify-when-found subscriptions. */
  readonly SUBSCRIPTIONS?: DurableObjectNamespace<SubscriptionHubObject>;
  readonly [binding: string]: unknown;
}

/**
 * The shard databases in routing order. Changing their number re-routes ids: add shards
 * only to an empty deployment, or migrate the data (README, "Sharding").
 * @example shardDatabases(env).length // 2 with DB and DB_1 bound
 */
function shardDatabases(env: WorkerEnv): D1Database[] {
  const listed = envText(env, 'SHARDS');
  const names = listed ? listed.split(',').map((n) => n.trim()) : ['DB'];
  if (!listed) for (let i = 1; env[`DB_${i}`] !== undefined; i++) names.push(`DB_${i}`);
  return names.map((name) => {
    const db = env[name] as D1Database | undefined;
    if (!db || typeof (db as { prepare?: unknown }).prepare !== 'function')
      throw new Error(`no D1 binding named ${name}`);
    return db;
  });
}

/** One D1 store, or a sharded store over several. */
function storeFor(env: WorkerEnv): ReportStore {
  const databases = shardDatabases(env);
  return databases.length === 1
    ? new D1ReportStore(databases[0]!)
    : new ShardedReportStore(databases.map((db) => new D1ReportStore(db)));
}

/** The shard databases as SQL executors, for the stores written once for SQLite and D1. */
function executorsFor(env: WorkerEnv) {
  return shardDatabases(env).map((db) => d1Executor(db));
}

/** Notices beside the reports: in the shard their id routes to. */
function noticesFor(env: WorkerEnv): NoticeStore {
  return new SqlNoticeStore(executorsFor(env));
}

/** Attachment chunks in R2; a deployment without the bucket refuses them (503). */
function attachmentsFor(env: WorkerEnv): AttachmentStore {
  if (env.ATTACHMENTS) return new R2AttachmentStore(env.ATTACHMENTS);
  const missing = async (): Promise<never> => {
    throw new StoreUnavailableError('this deployment has no R2 bucket bound as ATTACHMENTS');
  };
  return { put: missing, get: missing, prune: async () => 0 };
}

/** The page's files through the assets binding. */
function bindingAssets(assets: Fetcher): WebAssets {
  return {
    read: async (path) => {
      const response = await assets.fetch(`https://assets.invalid/${path}`);
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
  };
}

/**
 * The fast P-224 engine from the module bundled with the Worker: Workers refuse to compile
 * WebAssembly at run time, so it is imported at build time. One per isolate.
 */
export const workerP224: P224Engine = fastP224(p224Module);

/**
 * The app for an environment; clock and log are injectable for tests.
 * @example createWorkerApp(env).fetch(request)
 */
export function createWorkerApp(
  env: WorkerEnv,
  clock: () => number = Date.now,
  log: (line: string) => void = console.log,
): OpenAPIHono {
  return createApp({
    store: storeFor(env),
    notices: noticesFor(env),
    shares: new SqlShareStore(executorsFor(env)),
    mailboxes: new SqlMailboxStore(executorsFor(env)),
    attachments: attachmentsFor(env),
    ...(env.ASSETS ? { webAssets: bindingAssets(env.ASSETS) } : {}),
    // Without the Durable Object binding each isolate keeps its own subscriptions (wrangler dev, tests).
    ...(env.SUBSCRIPTIONS ? { notifier: durableNotifier(env.SUBSCRIPTIONS) } : {}),
    config: configFromEnv(env as Environment),
    clock,
    log,
    peerAddress: (c) => c.req.header('cf-connecting-ip'),
    p224: workerP224,
    limiters: {
      ...(env.UPLOAD_RATE_LIMITER ? { upload: new BindingRateLimiter(env.UPLOAD_RATE_LIMITER) } : {}),
      ...(env.QUERY_RATE_LIMITER ? { query: new BindingRateLimiter(env.QUERY_RATE_LIMITER) } : {}),
    },
  });
}

// An isolate serves many requests with the same env: build the app once per env.
const apps = new WeakMap<WorkerEnv, OpenAPIHono>();

export default {
  fetch(request, env) {
    let app = apps.get(env);
    if (!app) apps.set(env, (app = createWorkerApp(env)));
    return app.fetch(request);
  },

  async scheduled(controller, env) {
    const { retentionDays } = configFromEnv(env as Environment);
    const removed = await storeFor(env).prune(
      retentionStart(Math.floor(controller.scheduledTime / 1000), retentionDays),
    );
    const now = Math.floor(controller.scheduledTime / 1000);
    const expiredNotices = await noticesFor(env).prune(now);
    const expiredShares = await new SqlShareStore(executorsFor(env)).prune(now);
    const expiredMail =
      (await new SqlMailboxStore(executorsFor(env)).prune(now)) + (await attachmentsFor(env).prune(now));
    console.log(
      `pruned ${removed} expired reports, ${expiredNotices} notices, ${expiredShares} shares and ${expiredMail} mailbox rows`,
    );
  },
} satisfies ExportedHandler<WorkerEnv>;
