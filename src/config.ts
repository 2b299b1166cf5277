/**
 * Server settings, read from environment variables by every entry point (Node and Workers),
 * with the defaults a self-hoster expects.
 */

export interface AppConfig {
  /** Reports older than this are refused on upload and pruned. `RETENTION_DAYS`, default 7. */
  readonly retentionDays: number;
  /** Most reports in one upload. `MAX_BATCH`, default 5,000. */
  readonly maxBatch: number;
  /** Origins allowed to call the owner routes from a browser. `CORS_ORIGINS`, comma-separated; default `*`. */
  readonly corsOrigins: readonly string[];
}

export const DEFAULT_CONFIG: AppConfig = { retentionDays: 7, maxBatch: 5000, corsOrigins: ['*'] };

/**
 * Reads the settings; a malformed value is an error naming the variable, never silently ignored.
 * @example configFromEnv(process.env)
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): AppConfig {
  return {
    retentionDays: positiveInteger(env, 'RETENTION_DAYS', DEFAULT_CONFIG.retentionDays),
    maxBatch: positiveInteger(env, 'MAX_BATCH', DEFAULT_CONFIG.maxBatch),
    corsOrigins: env.CORS_ORIGINS?.trim() ? env.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : DEFAULT_CONFIG.corsOrigins,
  };
}

/** Reads a positive integer variable, or its default when unset. */
export function positiveInteger(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${text}"`);
  return value;
}
