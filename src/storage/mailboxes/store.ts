/**
 * Where the owner↔device channel's sealed messages and lost-state statements live: one SQL text
 * for SQLite and D1 (../sql-executor.ts), routed over shards by mailbox id. The store never sees a
 * capability, only the ids derived from one.
 */
import { shardOf } from '../sharded/store.ts';
import { byShard, type SqlExecutor } from '../sql-executor.ts';

export interface MailboxMessage {
  readonly seq: number;
  readonly message: Uint8Array;
}

export interface MailboxStore {
  /** Files a message; undefined when the mailbox already holds `capacity` live ones. */
  post(
    mailbox: Uint8Array,
    message: Uint8Array,
    expiresAt: number,
    capacity: number,
    now: number,
  ): Promise<number | undefined>;
  /** Live messages after `after`, oldest first, at most `limit`. */
  read(mailbox: Uint8Array, after: number, limit: number, now: number): Promise<MailboxMessage[]>;
  /** Sets the statement of each state mailbox (a later one replaces an earlier). */
  setStates(states: ReadonlyArray<{ mailbox: Uint8Array; statement: Uint8Array; expiresAt: number }>): Promise<void>;
  state(mailbox: Uint8Array, now: number): Promise<Uint8Array | undefined>;
  /** Deletes what has expired; returns how many rows. */
  prune(now: number): Promise<number>;
}

const POST_SQL = `INSERT INTO mailbox_messages (mailbox, seq, message, expires_at)
  SELECT ?, (SELECT coalesce(max(seq), 0) + 1 FROM mailbox_messages WHERE mailbox = ?), ?, ?
  WHERE (SELECT count(*) FROM mailbox_messages WHERE mailbox = ? AND expires_at > ?) < ?
  RETURNING seq`;
const READ_SQL = `SELECT seq, message FROM mailbox_messages
  WHERE mailbox = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`;
const SET_STATE_SQL = `INSERT INTO mailbox_states (mailbox, statement, expires_at) VALUES (?, ?, ?)
  ON CONFLICT (mailbox) DO UPDATE SET statement = excluded.statement, expires_at = excluded.expires_at`;

/** @example new SqlMailboxStore([sqliteExecutor(db)]) */
export class SqlMailboxStore implements MailboxStore {
  readonly #shards: readonly SqlExecutor[];

  constructor(shards: readonly SqlExecutor[]) {
    if (shards.length === 0) throw new RangeError('a mailbox store needs at least one database');
    this.#shards = shards;
  }

  #shard(mailbox: Uint8Array): SqlExecutor {
    return this.#shards[shardOf(mailbox, this.#shards.length)]!;
  }

  async post(mailbox: Uint8Array, message: Uint8Array, expiresAt: number, capacity: number, now: number) {
    const [rows] = await this.#shard(mailbox).batch<{ seq: number }>([
      { sql: POST_SQL, params: [mailbox, mailbox, message, expiresAt, mailbox, now, capacity] },
    ]);
    return rows![0]?.seq;
  }

  async read(mailbox: Uint8Array, after: number, limit: number, now: number): Promise<MailboxMessage[]> {
    const shard = this.#shard(mailbox);
    const [rows] = await shard.batch<{ seq: number; message: unknown }>([
      { sql: READ_SQL, params: [mailbox, after, now, limit] },
    ]);
    return rows!.map((row) => ({ seq: row.seq, message: shard.bytes(row.message) }));
  }

  async setStates(states: ReadonlyArray<{ mailbox: Uint8Array; statement: Uint8Array; expiresAt: number }>) {
    await Promise.all(
      [...byShard(this.#shards, states, (s) => s.mailbox)].map(([shard, part]) =>
        shard.batch(part.map((s) => ({ sql: SET_STATE_SQL, params: [s.mailbox, s.statement, s.expiresAt] }))),
      ),
    );
  }

  async state(mailbox: Uint8Array, now: number): Promise<Uint8Array | undefined> {
    const shard = this.#shard(mailbox);
    const [rows] = await shard.batch<{ statement: unknown }>([
      { sql: 'SELECT statement FROM mailbox_states WHERE mailbox = ? AND expires_at > ?', params: [mailbox, now] },
    ]);
    return rows![0] ? shard.bytes(rows![0].statement) : undefined;
  }

  async prune(now: number): Promise<number> {
    const counts = await Promise.all(
      this.#shards.map(async (shard) =>
        (
          await shard.batch([
            { sql: 'DELETE FROM mailbox_messages WHERE expires_at <= ? RETURNING seq', params: [now] },
            { sql: 'DELETE FROM mailbox_states WHERE expires_at <= ? RETURNING mailbox', params: [now] },
          ])
        ).reduce((n, rows) => n + rows.length, 0),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}
