/**
 * Where lost-mode notices live (docs/protocol.md §13). One implementation of the rules, written
 * once in SQL that SQLite and D1 both run (notice-sql.ts); the runtimes differ only in how a
 * batch of statements reaches the database (../sql-executor.ts).
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
import type { SqlExecutor, Statement } from '../sql-executor.ts';

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
 * @example const notices = new SqlNoticeStore(sqliteExecutor(db)); await notices.find([hashedId], now);
 */
export class SqlNoticeStore implements NoticeStore {
  readonly #sql: SqlExecutor;

  constructor(executor: SqlExecutor) {
    this.#sql = executor;
  }

  async publish(notices: readonly PublishedNotice[], now: number): Promise<Uint8Array[]> {
    // An id twice in one statement would make its upsert act twice: the first of a request stays.
    const unique = new Map<string, PublishedNotice>();
    for (const n of notices) if (!unique.has(bytesToHex(n.hashedId))) unique.set(bytesToHex(n.hashedId), n);
    const rows = this.#chunks([...unique.values()], NOTICE_PARAMETERS_PER_ROW, (part) => ({
      sql: publishNoticesSql(part.length),
      params: part.flatMap((n) => [n.hashedId, n.notice, n.expiresAt, n.withdrawHash, now]),
    }));
    return (await this.#sql.batch<{ hashed_id: unknown }>(rows)).flat().map((row) => this.#sql.bytes(row.hashed_id));
  }

  async find(hashedIds: readonly Uint8Array[], now: number): Promise<StoredNotice[]> {
    const statements = this.#chunks(hashedIds, 1, (part) => ({
      sql: findNoticesSql(part.length),
      params: [now, ...part],
    }));
    return (await this.#sql.batch<NoticeRow>(statements)).flat().map((row) => ({
      hashedId: this.#sql.bytes(row.hashed_id),
      notice: this.#sql.bytes(row.notice),
      expiresAt: row.expires_at,
    }));
  }

  async withdraw(withdrawals: readonly Withdrawal[]): Promise<Uint8Array[]> {
    const statements = this.#chunks(withdrawals, WITHDRAW_PARAMETERS_PER_ROW, (part) => ({
      sql: withdrawNoticesSql(part.length),
      params: part.flatMap((w) => [w.hashedId, w.withdrawHash]),
    }));
    return (await this.#sql.batch<{ hashed_id: unknown }>(statements))
      .flat()
      .map((row) => this.#sql.bytes(row.hashed_id));
  }

  async prune(now: number): Promise<number> {
    const [deleted] = await this.#sql.batch<{ hashed_id: unknown }>([{ sql: PRUNE_NOTICES_SQL, params: [now] }]);
    return deleted!.length;
  }

  /** Statements over `items` in parts that keep each under the executor's parameter limit (one is fixed). */
  #chunks<T>(items: readonly T[], perItem: number, statement: (part: readonly T[]) => Statement): Statement[] {
    const size = Math.floor((this.#sql.maxParameters - 1) / perItem);
    const statements: Statement[] = [];
    for (let i = 0; i < items.length; i += size) statements.push(statement(items.slice(i, i + size)));
    return statements;
  }
}
