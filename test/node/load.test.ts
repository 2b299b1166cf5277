// The short version of `npm run test:load`: the same bounded load, for a few seconds.
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/load.ts';

describe('bounded load', () => {
  it('holds concurrent uploads and queries with zero errors, and stores exactly what it acknowledged', async () => {
    const result = await runLoad({ seconds: 3, finders: 6, owners: 2, batch: 200 });
    expect(result.errors).toEqual([]);
    expect(result.acknowledged).toBeGreaterThan(0);
    expect(result.stored).toBe(result.acknowledged);
    expect(result.latencyMs.query.p50).toBeGreaterThan(0);
  });
});
