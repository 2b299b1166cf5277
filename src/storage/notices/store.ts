/**
 * Where lost-mode notices live (docs/protocol.md §13). One implementation of the rules, written
 * once in SQL that SQLite and D1 both run (notice-sql.ts); the runtimes differ only in how a
 * batch of statements reaches the database (../sql-executor.ts). A notice lives in the shard its
 * hashed id's reports live in.
 */
import { bytesToHex } from '../../../crypto/index.ts';
import {
  findNoticesSql,
  NOTICE_PARAMETERS_PER_ROW,
  PRUNE_NOTICES_SQL,
  publishNoticesSql,
  WITHDRAW_PARAMETERS_PER_ROW,
  withdrawNoticesSql,
  type NoticeRow,
} from './notice-sql.ts';
import { byShard, type SqlExecutor, type Statement } from '../sql-executor.ts';

/** A notice as a finder fetches it. */
export interface StoredNotice {
  readonly hashedId: Uint8Array;
  /** The sealed notice, NOTICE_LENGTH bytes. */
  readonly notice: Uint8Array;
  /** Unix seconds. */
  readonly expiresAt: number;
}

/** A notice as the owner publishes it. */
export interface PublishedNotice extends StoredNotice {
  /** SHA-256 of the withdrawal token. */
  readonly withdrawHash: Uint8Array;
}

/** A withdrawal: the id and the hash of the token presented for it. */
export interface Withdrawal {
  readonly hashedId: Uint8Array;
  readonly withdrawHash: Uint8Array;
}

/** Notices by hashed id, first write wins. Every method is atomic. */
export interface NoticeStore {
  /**
   * Stores each notice whose id holds none that is live at `now` (an expired one is replaced);
   * answers the ids stored.
   */
  publish(notices: readonly PublishedNotice[], now: number): Promise<Uint8Array[]>;
  /** The live notices of these ids. */
  find(hashedIds: readonly Uint8Array[], now: number): Promise<StoredNotice[]>;
  /** Deletes each notice whose id and token hash both match; answers the ids deleted. */
  withdraw(withdrawals: readonly Withdrawal[]): Promise<Uint8Array[]>;
  /** Deletes every notice expired at `now`; returns how many. */
  prune(now: number): Promise<number>;
}

/**
 * @example const notices = new SqlNoticeStore([sqliteExecutor(db)]); await notices.find([hashedId], now);
 */
export class SqlNoticeStore implements NoticeStore {
  readonly #shards: readonly SqlExecutor[];

  /** One executor per shard, in routing order. */
  constructor(shards: readonly SqlExecutor[]) {
    if (shards.length === 0) throw new RangeError('a notice store needs at least one database');
    this.#shards = shards;
  }

  async publish(notices: readonly PublishedNotice[], now: number): Promise<Uint8Array[]> {
    // An id twice in one statement would make its upsert act twice: the first of a request stays.
    const unique = new Map<string, PublishedNotice>();
    for (const n of notices) if (!unique.has(bytesToHex(n.hashedId))) unique.set(bytesToHex(n.hashedId), n);
    return this.#each(
      [...unique.values()],
      (n) => n.hashedId,
      NOTICE_PARAMETERS_PER_ROW,
      (part) => ({
        sql: publishNoticesSql(part.length),
        params: part.flatMap((n) => [n.hashedId, n.notice, n.expiresAt, n.withdrawHash, now]),
      }),
      (shard, row: { hashed_id: unknown }) => shard.bytes(row.hashed_id),
    );
  }

  async find(hashedIds: readonly Uint8Array[], now: number): Promise<StoredNotice[]> {
    return this.#each(
      hashedIds,
      (id) => id,
      1,
      (part) => ({ sql: findNoticesSql(part.length), params: [now, ...part] }),
      (shard, row: NoticeRow) => ({
        hashedId: shard.bytes(row.hashed_id),
        notice: shard.bytes(row.notice),
        expiresAt: row.expires_at,
      }),
    );
  }

  async withdraw(withdrawals: readonly Withdrawal[]): Promise<Uint8Array[]> {
    return this.#each(
      withdrawals,
      (w) => w.hashedId,
      WITHDRAW_PARAMETERS_PER_ROW,
      (part) => ({
        sql: withdrawNoticesSql(part.length),
        params: part.flatMap((w) => [w.hashedId, w.withdrawHash]),
      }),
      (shard, row: { hashed_id: unknown }) => shard.bytes(row.hashed_id),
    );
  }

  async prune(now: number): Promise<number> {
    const counts = await Promise.all(
      this.#shards.map(async (shard) => (await shard.batch([{ sql: PRUNE_NOTICES_SQL, params: [now] }]))[0]!.length),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Runs the statements for `items` on the shards their ids route to, each shard's part split so
   * that no statement passes its executor's parameter limit (one parameter may be fixed), and
   * maps every returned row.
   */
  async #each<T, Row, R>(
    items: readonly T[],
    idOf: (item: T) => Uint8Array,
    perItem: number,
    statement: (part: readonly T[]) => Statement,
    rowOf: (shard: SqlExecutor, row: Row) => R,
  ): Promise<R[]> {
    const results = await Promise.all(
      [...byShard(this.#shards, items, idOf)].map(async ([shard, part]) => {
        const size = Math.floor((shard.maxParameters - 1) / perItem);
        const statements: Statement[] = [];
        for (let i = 0; i < part.length; i += size) statements.push(statement(part.slice(i, i + size)));
        return (await shard.batch<Row>(statements)).flat().map((row) => rowOf(shard, row));
      }),
    );
    return results.flat();
  }
}
