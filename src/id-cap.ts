/**
 * The cap on reports stored per hashed id per day: flooding one id is the cheapest way to
 * spam an owner or run a "Send My"-style covert channel. Applied to a validated batch before
 * it is stored: the items past the cap are set aside and counted as rejected, never silently
 * dropped. Concurrent uploads for one id may overshoot the cap by what they hold between
 * the count and the insert; it is an abuse bound, not an exact quota.
 */
import { bucketOf } from '../schema/schema.ts';
import { pairKey, type NewReport, type ReportStore } from './store.ts';

/**
 * Splits `reports` into those within the cap and the number over it.
 * @example const { allowed, rejected } = await applyIdCap(store, reports, 2000);
 */
export async function applyIdCap(store: ReportStore, reports: readonly NewReport[], capPerDay: number): Promise<{ allowed: NewReport[]; rejected: number }> {
  const keys = reports.map((r) => pairKey(bucketOf(r.timestamp), r.hashedId));
  const pairs = new Map<string, [number, Uint8Array]>();
  reports.forEach((r, i) => pairs.set(keys[i]!, [bucketOf(r.timestamp), r.hashedId]));
  const stored = await store.countStored([...pairs.values()]);
  const used = new Map([...pairs.keys()].map((key, i) => [key, stored[i]!]));
  const allowed = reports.filter((_, i) => {
    const count = used.get(keys[i]!)!;
    if (count >= capPerDay) return false;
    used.set(keys[i]!, count + 1);
    return true;
  });
  return { allowed, rejected: reports.length - allowed.length };
}
