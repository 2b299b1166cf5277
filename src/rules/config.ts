/**
 * Server settings, read from environment variables by every entry point (Node and Workers),
 * with the defaults a self-hoster expects.
 */
import { DEFAULT_IPV6_PREFIX } from './client-key.ts';

export interface AppConfig {
  /** Reports older than this are refused on upload and pruned. `RETENTION_DAYS`, default 7. */
  readonly retentionDays: number;
  /** Most reports in one upload. `MAX_BATCH`, default 5,000. */
  readonly maxBatch: number;
  /** Origins allowed to call the owner routes from a browser. `CORS_ORIGINS`, comma-separated; default `*`. */
  readonly corsOrigins: readonly string[];
  /** Uploads a minute per client (token bucket, bursts of a quarter). `RATE_LIMIT_UPLOADS`, default 600; 0 turns it off. */
  readonly uploadsPerMinute: number;
  /** Owner queries a minute per client. `RATE_LIMIT_QUERIES`, default 120; 0 turns it off. */
  readonly queriesPerMinute: number;
  /**
   * Owner queries that run at once; more wait their turn (64 at most, then 503). Keeps ingest
   * and health responsive whatever owners ask. `OWNER_QUERY_CONCURRENCY`, default 1; 0: no limit.
   * Node only: a Worker shares no thread with its uploads (D1 is remote), so it takes no turns.
   */
  readonly ownerQueryConcurrency: number;
  /**
   * Reports a minute per client, however they are batched (the upload limit counts requests).
   * `RATE_LIMIT_REPORTS`, default 60,000; 0 turns it off.
   */
  readonly reportsPerMinute: number;
  /**
   * What reports may take of the database (its size less the owner stores' bytes) before uploads
   * are refused (507) and health says so; from 90 % of it health warns. `STORAGE_BUDGET_MB`;
   * 0: no budget. Node only (D1 does not tell its size), where unset means 40 % of the space the
   * database may use at start (rules/storage-budget.ts); elsewhere unset is 0.
   */
  readonly storageBudgetBytes: number;
  /**
   * What notices, shares and mailboxes (the stores anyone may write to) may take before their
   * writes are refused (507), apart from the reports' budget so that they never stop ingest.
   * `OWNER_STORAGE_BUDGET_MB`; 0: no budget. Node only, where unset means 10 % of the space the
   * database may use at start; elsewhere unset is 0.
   */
  readonly ownerStorageBudgetBytes: number;
  /**
   * Bytes one client may store in notices, shares and mailboxes a day (a bucket that refills
   * over the day), whatever its request rate. `CLIENT_STORAGE_MB_PER_DAY`, default 64; 0 turns it off.
   */
  readonly clientBytesPerDay: number;
  /** Reports stored per hashed id per day; past it, uploads count as rejected. `MAX_REPORTS_PER_ID_PER_DAY`, default 2,000; 0 turns it off. */
  readonly maxReportsPerIdPerDay: number;
  /** Take the client from X-Forwarded-For (behind a reverse proxy you trust). `TRUST_PROXY`, default off. */
  readonly trustProxy: boolean;
  /**
   * The IPv6 prefix length that every per-client limit counts as one client (rules/client-key.ts).
   * `CLIENT_IPV6_PREFIX`, 1 to 128, default 64.
   */
  readonly clientIpv6Prefix: number;
  /**
   * Let webhooks reach loopback, link-local and private addresses (a receiver on the same host or
   * network). `WEBHOOK_ALLOW_PRIVATE`, default off: a subscriber could otherwise aim the server at
   * its own network.
   */
  readonly webhookAllowPrivate: boolean;
  /**
   * Map tiles for the owner's page, a `{z}/{x}/{y}` URL template; its origin is the only
   * outside one the page's policy allows. `WEB_TILE_URL`, default OpenStreetMap's; empty: no
   * tiles (positions still draw).
   */
  readonly webTileUrl: string;
}

const MB = 1024 * 1024;

export const DEFAULT_CONFIG: AppConfig = {
  retentionDays: 7,
  maxBatch: 5000,
  corsOrigins: ['*'],
  uploadsPerMinute: 600,
  queriesPerMinute: 120,
  reportsPerMinute: 60_000,
  ownerQueryConcurrency: 1,
  storageBudgetBytes: 0,
  ownerStorageBudgetBytes: 0,
  clientBytesPerDay: 64 * MB,
  maxReportsPerIdPerDay: 2000,
  trustProxy: false,
  clientIpv6Prefix: DEFAULT_IPV6_PREFIX,
  webhookAllowPrivate: false,
  webTileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
};

/**
 * Reads the settings; a malformed value is an error naming the variable, never silently ignored.
 * @example configFromEnv(process.env)
 */
export function configFromEnv(env: Environment): AppConfig {
  const origins = envText(env, 'CORS_ORIGINS');
  return {
    retentionDays: positiveInteger(env, 'RETENTION_DAYS', DEFAULT_CONFIG.retentionDays),
    maxBatch: positiveInteger(env, 'MAX_BATCH', DEFAULT_CONFIG.maxBatch),
    corsOrigins: origins
      ? origins
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean)
      : DEFAULT_CONFIG.corsOrigins,
    uploadsPerMinute: nonNegativeInteger(env, 'RATE_LIMIT_UPLOADS', DEFAULT_CONFIG.uploadsPerMinute),
    queriesPerMinute: nonNegativeInteger(env, 'RATE_LIMIT_QUERIES', DEFAULT_CONFIG.queriesPerMinute),
    reportsPerMinute: nonNegativeInteger(env, 'RATE_LIMIT_REPORTS', DEFAULT_CONFIG.reportsPerMinute),
    ownerQueryConcurrency: nonNegativeInteger(env, 'OWNER_QUERY_CONCURRENCY', DEFAULT_CONFIG.ownerQueryConcurrency),
    storageBudgetBytes: nonNegativeInteger(env, 'STORAGE_BUDGET_MB', 0) * MB,
    ownerStorageBudgetBytes: nonNegativeInteger(env, 'OWNER_STORAGE_BUDGET_MB', 0) * MB,
    clientBytesPerDay: nonNegativeInteger(env, 'CLIENT_STORAGE_MB_PER_DAY', DEFAULT_CONFIG.clientBytesPerDay / MB) * MB,
    maxReportsPerIdPerDay: nonNegativeInteger(env, 'MAX_REPORTS_PER_ID_PER_DAY', DEFAULT_CONFIG.maxReportsPerIdPerDay),
    trustProxy: flag(env, 'TRUST_PROXY'),
    clientIpv6Prefix: ipv6Prefix(env),
    webhookAllowPrivate: flag(env, 'WEBHOOK_ALLOW_PRIVATE'),
    webTileUrl: tileUrl(env),
  };
}

/** WEB_TILE_URL: an https (or http) URL template, or empty for none. */
function tileUrl(env: Environment): string {
  const text = env.WEB_TILE_URL === '' ? '' : (envText(env, 'WEB_TILE_URL') ?? DEFAULT_CONFIG.webTileUrl);
  if (text === '') return '';
  let url: URL;
  try {
    url = new URL(text.replace(/\{[^}]*\}/g, '0'));
  } catch {
    throw new Error(
      `WEB_TILE_URL must be a URL template like ${DEFAULT_CONFIG.webTileUrl}, got ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('WEB_TILE_URL must be http or https');
  return text;
}

/** CLIENT_IPV6_PREFIX: a prefix length of 1 to 128. */
function ipv6Prefix(env: Environment): number {
  const prefix = positiveInteger(env, 'CLIENT_IPV6_PREFIX', DEFAULT_CONFIG.clientIpv6Prefix);
  if (prefix > 128) throw new Error(`CLIENT_IPV6_PREFIX must be an integer of 1 to 128, got "${prefix}"`);
  return prefix;
}

/** An on/off setting: 1, true or yes is on; anything else set is an error, unset is off. */
function flag(env: Environment, name: string): boolean {
  const text = envText(env, name);
  if (text === undefined || /^(0|false|no)$/i.test(text)) return false;
  if (/^(1|true|yes)$/i.test(text)) return true;
  throw new Error(`${name} must be 1, true, yes, 0, false or no, got ${JSON.stringify(text)}`);
}

/** process.env on Node; on Workers the env object, whose [vars] may be numbers. */
export type Environment = Readonly<Record<string, unknown>>;

/** A variable as trimmed text; undefined when unset or empty. */
export function envText(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === null ? undefined : String(value).trim() || undefined;
}

/** Reads a positive integer variable, or its default when unset. */
export function positiveInteger(env: Environment, name: string, fallback: number): number {
  return integerVariable(env, name, fallback, 1);
}

/** Reads an integer variable that may be 0, or its default when unset. */
export function nonNegativeInteger(env: Environment, name: string, fallback: number): number {
  return integerVariable(env, name, fallback, 0);
}

function integerVariable(env: Environment, name: string, fallback: number, minimum: number): number {
  const value = envText(env, name);
  if (!value) return fallback;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < minimum)
    throw new Error(`${name} must be an integer of at least ${minimum}, got "${value}"`);
  return number;
}
