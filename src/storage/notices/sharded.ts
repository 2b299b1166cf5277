/**
 * Notices over several databases, routed like reports (sharded/store.ts): a notice lives in the
 * shard its hashed id's reports live in.
 */
import { shardOf } from '../sharded/store.ts';
import type { NoticeStore, PublishedNotice, StoredNotice, Withdrawal } from './store.ts';

/** @example new ShardedNoticeStore([new SqlNoticeStore(d1Executor(env.DB)), new SqlNoticeStore(d1Executor(env.DB_1))]) */
export class ShardedNoticeStore implements NoticeStore {
  readonly #shards: readonly NoticeStore[];

  constructor(shards: readonly NoticeStore[]) {
    if (shards.length === 0) throw new RangeError('a sharded store needs at least one shard');
    this.#shards = shards;
  }

  async #each<T extends { hashedId: Uint8Array } | Uint8Array, R>(
    items: readonly T[],
    work: (shard: NoticeStore, part: T[]) => Promise<R[]>,
  ): Promise<R[]> {
    const parts = new Map<number, T[]>();
    for (const item of items) {
      const shard = shardOf(item instanceof Uint8Array ? item : item.hashedId, this.#shards.length);
      const part = parts.get(shard);
      if (part) part.push(item);
      else parts.set(shard, [item]);
    }
    return (await Promise.all([...parts].map(([shard, part]) => work(this.#shards[shard]!, part)))).flat();
  }

  publish(notices: readonly PublishedNotice[], now: number): Promise<Uint8Array[]> {
    return this.#each(notices, (shard, part) => shard.publish(part, now));
  }

  find(hashedIds: readonly Uint8Array[], now: number): Promise<StoredNotice[]> {
    return this.#each(hashedIds, (shard, part) => shard.find(part, now));
  }

  withdraw(withdrawals: readonly Withdrawal[]): Promise<Uint8Array[]> {
    return this.#each(withdrawals, (shard, part) => shard.withdraw(part));
  }

  async prune(now: number): Promise<number> {
    const counts = await Promise.all(this.#shards.map((shard) => shard.prune(now)));
    return counts.reduce((a, b) => a + b, 0);
  }
}
