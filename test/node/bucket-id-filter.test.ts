// The per-day id filter decides which (day, id) pairs an owner query seeks: it must never
// say no to a stored pair, must agree with itself across its two ways of asking, and must
// forget pruned days.
import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BucketIdFilter } from '../../src/storage/sqlite/id-filter.ts';

const ids = (count: number) => Array.from({ length: count }, () => randomFillSync(new Uint8Array(32)));
const FIRST = 20_397; // not a multiple of 8: the range spans partial groups at both ends
const bucketsOf = (filter: BucketIdFilter, id: Uint8Array, first: number, last: number) => {
  const found: number[] = [];
  filter.forEachBucketOf(id, first, last, (bucket) => found.push(bucket));
  return found;
};

describe('BucketIdFilter', () => {
  it('never misses a stored pair, and its two ways of asking agree', () => {
    const filter = new BucketIdFilter();
    const stored = ids(3000).map((id, k) => ({ id, buckets: [FIRST + (k % 20), FIRST + ((k * 7) % 20)] }));
    for (const { id, buckets } of stored) for (const bucket of buckets) filter.add(bucket, id);
    filter.markUnindexed(FIRST + 5);
    for (const { id, buckets } of [...stored, ...ids(300).map((id) => ({ id, buckets: [] }))]) {
      for (const bucket of buckets) expect(filter.mightContain(bucket, id)).toBe(true);
      const expected = Array.from({ length: 24 }, (_, k) => FIRST - 2 + k).filter((bucket) =>
        filter.mightContain(bucket, id),
      );
      expect(bucketsOf(filter, id, FIRST - 2, FIRST + 21)).toEqual(expected);
      expect(expected).toContain(FIRST + 5);
      for (const bucket of buckets) expect(expected).toContain(bucket);
    }
  });

  it('gives few false positives at a million reports a week (140k ids a day)', () => {
    const filter = new BucketIdFilter();
    for (const id of ids(140_000)) filter.add(FIRST, id);
    const others = ids(100_000);
    const falsePositives = others.filter((id) => filter.mightContain(FIRST, id)).length;
    expect(falsePositives).toBeLessThan(10); // expected ~0.02
  });

  it('forgets the days before a cut, also inside a group, and keeps the later ones', () => {
    const filter = new BucketIdFilter();
    const stored = ids(500);
    for (const [k, id] of stored.entries())
      for (let day = 0; day < 20; day++) if ((k + day) % 3 === 0) filter.add(FIRST + day, id);
    filter.markUnindexed(FIRST + 1);
    filter.dropBefore(FIRST + 10);
    for (const [k, id] of stored.entries()) {
      for (let day = 0; day < 10; day++) expect(filter.mightContain(FIRST + day, id)).toBe(false);
      for (let day = 10; day < 20; day++)
        if ((k + day) % 3 === 0) expect(filter.mightContain(FIRST + day, id)).toBe(true);
      expect(bucketsOf(filter, id, FIRST, FIRST + 9)).toEqual([]);
    }
  });
});
