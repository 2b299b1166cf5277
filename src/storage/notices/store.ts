/**
 * Where lost-mode notices live (docs/protocol.md §13). One implementation of the rules, written
 * once in SQL that SQLite and D1 both run (notice-sql.ts); the runtimes differ only in how a
 * batch of statements reaches the database (../sql-executor.ts). A notice lives in the shard its
 * hashed id's reports live in.
 */
import { bytesToHex } from '../../../crypto/index.ts';
import {
  findNoticesSql,
  heldNoticesSql,
  NOTICE_PARAMETERS_PER_ROW,
  noticeRefusal,
  PRUNE_NOTICES_SQL,
  publishNoticesSql,
  WITHDRAW_PARAMETERS_PER_ROW,
  withdrawNoticesSql,
  type HeldNoticeRow,
  type NoticeRefusal,
  type NoticeRow,
} from './notice-sql.ts';

export type { NoticeRefusal } from './notice-sql.ts';
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

/** What a publish did: the ids stored, and why each other one was not. */
export interface PublishOutcome {
  readonly stored: Uint8Array[];
  readonly refused: Array<{ readonly hashedId: Uint8Array; readonly reason: NoticeRefusal }>;
}

/**
 * Notices by hashed id, a few live per id, each under its own withdraw hash (notice-sql.ts says
 * which publish is refused). Each write is atomic; a refusal's reason is read after it.
 */
export interface NoticeStore {
  /** Stores each notice the rules let in at `now` (the first of a request per id). */
  publish(notices: readonly PublishedNotice[], now: number): Promise<PublishOutcome>;
  /** The live notices of these ids, any number per id. */
  find(hashedIds: readonly Uint8Array[], now: number): Promise<StoredNotice[]>;
  /** Withdraws each live notice whose id and token hash both match; answers the ids withdrawn. */
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

  async publish(notices: readonly PublishedNotice[], now: number): Promise<PublishOutcome> {
    // An id twice in one statement would count against itself: the first of a request stays.
    const unique = new Map<string, PublishedNotice>();
    for (const n of notices) if (!unique.has(bytesToHex(n.hashedId))) unique.set(bytesToHex(n.hashedId), n);
    const stored = await this.#each(
      [...unique.values()],
      (n) => n.hashedId,
      NOTICE_PARAMETERS_PER_ROW,
      (part) => ({
        sql: publishNoticesSql(part.length),
        params: [now, ...part.flatMap((n) => [n.hashedId, n.notice, n.expiresAt, n.withdrawHash])],
      }),
      (shard, row: { hashed_id: unknown }) => shard.bytes(row.hashed_id),
    );
    for (const id of stored) unique.delete(bytesToHex(id));
    // One parameter per id, so that explaining 700 refusals stays within D1's statements per request.
    const held = await this.#each(
      [...unique.values()].map((n) => n.hashedId),
      (id) => id,
      1,
      (part) => ({ sql: heldNoticesSql(part.length), params: part }),
      (shard, row: HeldNoticeRow) => ({
        id: bytesToHex(shard.bytes(row.hashed_id)),
        notice: shard.bytes(row.notice),
        withdrawHash: shard.bytes(row.withdraw_hash),
        live: row.withdrawn === 0 && row.expires_at > now,
      }),
    );
    const byId = new Map<string, typeof held>();
    for (const h of held) byId.set(h.id, [...(byId.get(h.id) ?? []), h]);
    const refused = [...unique].map(([id, n]) => ({
      hashedId: n.hashedId,
      reason: noticeRefusal(n, byId.get(id) ?? []),
    }));
    return { stored, refused };
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
