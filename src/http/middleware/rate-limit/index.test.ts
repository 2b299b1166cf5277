import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from './limiter.ts';
import { rateLimit } from './index.ts';

describe('rateLimit', () => {
  it('passes requests while the client has tokens, then answers 429 problem+json with Retry-After', async () => {
    let now = 0;
    const app = new Hono()
      .use(
        '*',
        rateLimit(new TokenBucketLimiter(4, () => now), (c) => c.req.header('x-client') ?? 'unknown'),
      )
      .get('/', (c) => c.text('ok'));
    const from = (client: string) => app.request('/', { headers: { 'x-client': client } });
    expect((await from('a')).status).toBe(200); // burst of 4 / 4 = 1
    const refused = await from('a');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('15');
    expect((await from('b')).status).toBe(200);
    now += 15_000;
    expect((await from('a')).status).toBe(200);
  });

  it('remembers at most 100,000 clients, forgetting the least recently seen, whatever their buckets hold', async () => {
    // A day's bucket is never full again within the test's time, as for the per-client byte quota.
    const limiter = new TokenBucketLimiter(1 / 1440, () => 0, 2);
    expect((await limiter.take('recent', 2)).allowed).toBe(true);
    expect((await limiter.take('oldest', 2)).allowed).toBe(true);
    expect((await limiter.take('oldest')).allowed).toBe(false);
    expect((await limiter.take('recent')).allowed).toBe(false);
    for (let i = 0; i < 99_998; i++) await limiter.take(`stranger ${i}`);
    // Seen again now: still remembered, still empty.
    expect((await limiter.take('recent')).allowed).toBe(false);
    await limiter.take('one more stranger');
    // Past the cap: the client seen longest ago is forgotten and starts again, the rest are kept.
    expect((await limiter.take('oldest')).allowed).toBe(true);
    expect((await limiter.take('recent')).allowed).toBe(false);
  });
});
