/**
 * The Workers rate-limiting binding (`[[ratelimits]]` in wrangler.toml) behind the app's
 * limiter interface: counted per Cloudflare location, shared by every isolate there.
 */
import type { RateLimitDecision, RateLimiter } from '../../http/middleware/rate-limit/limiter.ts';

/** @example new BindingRateLimiter(env.UPLOAD_RATE_LIMITER) */
export class BindingRateLimiter implements RateLimiter {
  readonly #binding: RateLimit;
  readonly #periodSeconds: number;

  constructor(binding: RateLimit, periodSeconds = 60) {
    this.#binding = binding;
    this.#periodSeconds = periodSeconds;
  }

  /** Counts requests: the binding has no cost, so report limits stay with the per-isolate bucket. */
  async take(client: string): Promise<RateLimitDecision> {
    const { success } = await this.#binding.limit({ key: client });
    return { allowed: success, retryAfterSeconds: success ? 0 : this.#periodSeconds };
  }
}
