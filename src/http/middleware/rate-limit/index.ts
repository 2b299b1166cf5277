/**
 * Refuses a client's request with 429 problem+json and Retry-After once its limiter says so:
 * per request as middleware, or per report where a handler knows how many an upload carries;
 * `onRefused` hears of each refusal (for metrics), never of whom.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ProblemError, problemResponse } from '../../problem.ts';
import type { RateLimiter } from './limiter.ts';

/** The 429 for a refused decision. */
function tooMany(what: string, retryAfterSeconds: number): ProblemError {
  return new ProblemError(429, `too many ${what} from this client; retry in ${retryAfterSeconds} s`, {
    'retry-after': String(retryAfterSeconds),
  });
}

/**
 * @example app.use('/v1/reports', rateLimit(new TokenBucketLimiter(600), clientOf))
 */
export function rateLimit(
  limiter: RateLimiter,
  clientOf: (c: Context) => string,
  onRefused: () => void = () => {},
): MiddlewareHandler {
  return async (c, next) => {
    const decision = await limiter.take(clientOf(c));
    if (!decision.allowed) {
      onRefused();
      const refused = tooMany('requests', decision.retryAfterSeconds);
      return problemResponse(refused.status, refused.message, { headers: refused.headers });
    }
    await next();
  };
}

/** Takes an upload's reports from its client's report limit; throws the 429 when it is spent. */
export type ReportLimit = (c: Context, reports: number) => Promise<void>;

/**
 * @example const limitReports = reportLimit(new TokenBucketLimiter(60_000), clientOf); await limitReports(c, 1000);
 */
export function reportLimit(
  limiter: RateLimiter,
  clientOf: (c: Context) => string,
  onRefused: () => void = () => {},
): ReportLimit {
  return async (c, reports) => {
    const decision = await limiter.take(clientOf(c), reports);
    if (!decision.allowed) {
      onRefused();
      throw tooMany('reports', decision.retryAfterSeconds);
    }
  };
}
