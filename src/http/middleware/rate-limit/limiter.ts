/**
 * Per-client request limits, behind one interface: the token bucket here, in process memory
 * (Node, and Workers per isolate), or the platform's rate-limiting binding on Workers
 * (src/runtime/workers/binding-rate-limiter.ts). A client key lives only as long as its
 * bucket is not full again, and is never logged.
 */

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** When refused: seconds until a request would be allowed. */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens (one request's, by default) for `client`. */
  take(client: string, cost?: number): Promise<RateLimitDecision>;
}

/** Clients remembered at most; past it the least recently seen are forgotten. */
const MAX_TRACKED_CLIENTS = 100_000;

/**
 * `perMinute` tokens a minute per client, with bursts of a quarter of that unless `burst` says
 * otherwise. A cost larger than the burst is let through once the bucket is full, and the client
 * then waits it off.
 * @example new TokenBucketLimiter(600, Date.now)
 */
export class TokenBucketLimiter implements RateLimiter {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #clock: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perMinute: number, clock: () => number = Date.now, burst = Math.ceil(perMinute / 4)) {
    this.#capacity = Math.max(1, burst);
    this.#refillPerMs = perMinute / 60_000;
    this.#clock = clock;
  }

  async take(client: string, cost = 1): Promise<RateLimitDecision> {
    const now = this.#clock();
    const bucket = this.#buckets.get(client) ?? { tokens: this.#capacity, at: now };
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + (now - bucket.at) * this.#refillPerMs);
    bucket.at = now;
    // Deleted and set again, so the map's order is the order of last use.
    this.#buckets.delete(client);
    this.#buckets.set(client, bucket);
    this.#forgetLeastRecent();
    const needed = Math.min(cost, this.#capacity);
    if (bucket.tokens < needed)
      return { allowed: false, retryAfterSeconds: Math.ceil((needed - bucket.tokens) / this.#refillPerMs / 1000) };
    bucket.tokens -= cost;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /**
   * Past the cap the least recently seen clients are forgotten, in constant time a request: a
   * bucket that refills over a day may never be full again, so waiting for full buckets to drop
   * would let strangers with many addresses grow the map and make every request scan it. A
   * forgotten client starts again with a full bucket, which those addresses had anyway.
   */
  #forgetLeastRecent(): void {
    for (const client of this.#buckets.keys()) {
      if (this.#buckets.size <= MAX_TRACKED_CLIENTS) return;
      this.#buckets.delete(client);
    }
  }
}
