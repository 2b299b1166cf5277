/**
 * The cap on reports stored per hashed id per day: flooding one id is the cheapest way to
 * spam an owner or run a "Send My"-style covert channel. A store applies it to a validated
 * batch as it stores it: the items past the cap are set aside and counted as rejected, never
 * silently dropped. SQLite counts and inserts in one transaction, so the cap is exact there;
 * D1 has no interactive transactions, so concurrent uploads for one id may overshoot it by
 * what they hold between the count and the insert.
 */
import { bucketOf } from '../../schema/schema.ts';
import { pairKey, type ObservedReport } from '../storage/store.ts';
import { fitUnderCap } from './id-cap-split.mjs';

/** A batch's (day, id) pairs to count, and how to split the batch once they are counted. */
export interface IdCapPlan {
  /** Each distinct (bucket, hashed id) pair of the batch once, in first-seen order; none when the cap is off. */
  readonly pairs: ReadonlyArray<readonly [number, Uint8Array]>;
  /** The index in `pairs` of each report's pair; empty when the cap is off. */
  readonly pairOfReport: readonly number[];
  /** Splits the batch, given how many reports each pair already holds (in `pairs` order). */
  split(stored: readonly number[]): { allowed: readonly ObservedReport[]; rejected: number };
}

/**
 * How to hold `reports` to `capPerDay` reports per id and day; a cap of 0 is off.
 * @example const plan = planIdCap(reports, 2000); const { allowed, rejected } = plan.split(countStored(plan.pairs));
 */
export function planIdCap(reports: readonly ObservedReport[], capPerDay: number): IdCapPlan {
  if (capPerDay <= 0) return { pairs: [], pairOfReport: [], split: () => ({ allowed: reports, rejected: 0 }) };
  const indexOf = new Map<string, number>();
  const pairs: Array<readonly [number, Uint8Array]> = [];
  const pairOfReport = reports.map((r) => {
    const bucket = bucketOf(r.timestamp);
    const key = pairKey(bucket, r.hashedId);
    let index = indexOf.get(key);
    if (index === undefined) {
      indexOf.set(key, (index = pairs.length));
      pairs.push([bucket, r.hashedId]);
    }
    return index;
  });
  return {
    pairs,
    pairOfReport,
    split(stored) {
      const fits = fitUnderCap(pairOfReport, stored, capPerDay);
      const allowed = reports.filter((_, i) => fits[i]);
      return { allowed, rejected: reports.length - allowed.length };
    },
  };
}
