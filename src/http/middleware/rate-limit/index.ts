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

/** Takes a request's cost (an upload's reports, a write's bytes) from its client's limit; throws the 429 when it is spent. */
export type CostLimit = (c: Context, cost: number) => Promise<void>;

/**
 * @example const limitReports = costLimit(new TokenBucketLimiter(60_000), clientOf, 'reports'); await limitReports(c, 1000);
 */
export function costLimit(
  limiter: RateLimiter,
  clientOf: (c: Context) => string,
  what: string,
  onRefused: () => void = () => {},
): CostLimit {
  return async (c, cost) => {
    const decision = await limiter.take(clientOf(c), cost);
    if (!decision.allowed) {
      onRefused();
      throw tooMany(what, decision.retryAfterSeconds);
    }
  };
}
