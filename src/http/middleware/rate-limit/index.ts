/**
 * Refuses a client's request with 429 problem+json and Retry-After once its limiter says so.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { problemResponse } from '../../problem.ts';
import type { RateLimiter } from './limiter.ts';

/**
 * @example app.use('/v1/reports', rateLimit(new TokenBucketLimiter(600), clientOf))
 */
export function rateLimit(limiter: RateLimiter, clientOf: (c: Context) => string): MiddlewareHandler {
  return async (c, next) => {
    const decision = await limiter.take(clientOf(c));
    if (!decision.allowed) {
      return problemResponse(429, `too many requests from this client; retry in ${decision.retryAfterSeconds} s`, {
        headers: { 'retry-after': String(decision.retryAfterSeconds) },
      });
    }
    await next();
  };
}
