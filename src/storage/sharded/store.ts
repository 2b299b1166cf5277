/**
 * Several stores as one, routed by the leading bits of the hashed id: how the edge
 * deployment grows past one D1 database (10 GB, about 50M reports). Hashed ids are SHA-256
 * outputs, so shards fill evenly.
 *
 * Guarantee for uploads that span shards: every item is validated before anything is
 * written, and each shard's part is written atomically. If one shard fails after another
 * committed, the client gets 503 and nothing tells it which part landed; retrying the same
 * upload is safe, because a report already stored (same id, same seal) counts as a duplicate and is
 * never stored twice. So a retried upload always converges to "all stored, exactly once".
 */
import {
  mergeReports,
  type InsertResult,
  type ObservedReport,
  type ReportQuery,
  type ReportStore,
  type StoredReport,
} from '../store.ts';

/**
 * The shard of a hashed id among `count`: the id's first 32 bits scaled to [0, count).
 * For a power of two this is exactly the id's leading log2(count) bits.
 * @example shardOf(hashedId, 4) // 0..3
 */
export function shardOf(hashedId: Uint8Array, count: number): number {
  const leading = ((hashedId[0]! << 24) | (hashedId[1]! << 16) | (hashedId[2]! << 8) | hashedId[3]!) >>> 0;
  return Math.floor((leading * count) / 2 ** 32);
}

/**
 * @example new ShardedReportStore([new D1ReportStore(env.DB), new D1ReportStore(env.DB_1)])
 */
export class ShardedReportStore implements ReportStore {
  readonly #shards: readonly ReportStore[];

  constructor(shards: readonly ReportStore[]) {
    if (shards.length === 0) throw new RangeError('a sharded store needs at least one shard');
    this.#shards = shards;
  }

  /** Groups items (keeping their order) by the shard their id routes to. */
  #route<T>(items: readonly T[], idOf: (item: T) => Uint8Array): Map<number, T[]> {
    const byShard = new Map<number, T[]>();
    for (const item of items) {
      const shard = shardOf(idOf(item), this.#shards.length);
      const part = byShard.get(shard);
      if (part) part.push(item);
      else byShard.set(shard, [item]);
    }
    return byShard;
  }

  /** Every report of an id goes to one shard, so each shard's cap is the id's cap. */
  async insert(reports: readonly ObservedReport[], receivedAt: number, capPerDay = 0): Promise<InsertResult> {
    const results = await Promise.all(
      [...this.#route(reports, (r) => r.hashedId)].map(([shard, part]) =>
        this.#shards[shard]!.insert(part, receivedAt, capPerDay),
      ),
    );
    return results.reduce(
      (sum, r) => ({
        accepted: sum.accepted + r.accepted,
        duplicates: sum.duplicates + r.duplicates,
        rejected: sum.rejected + r.rejected,
      }),
      { accepted: 0, duplicates: 0, rejected: 0 },
    );
  }

  /** Asks only the shards the ids route to, concurrently, and merges their sorted pages. */
  async query(query: ReportQuery): Promise<StoredReport[]> {
    const pages = await Promise.all(
      [...this.#route(query.hashedIds, (id) => id)].map(([shard, hashedIds]) =>
        this.#shards[shard]!.query({ ...query, hashedIds }),
      ),
    );
    return mergeReports(pages, query.limit);
  }

  async prune(before: number): Promise<number> {
    const removed = await Promise.all(this.#shards.map((s) => s.prune(before)));
    return removed.reduce((a, b) => a + b, 0);
  }

  /** The shards' sizes added up, where every shard tells its own. */
  async storageBytes(): Promise<number | undefined> {
    const sizes = await Promise.all(this.#shards.map((s) => s.storageBytes()));
    return sizes.includes(undefined) ? undefined : sizes.reduce<number>((a, b) => a + b!, 0);
  }

  async ping(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.ping()));
  }
}
