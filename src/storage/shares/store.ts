/**
 * Where shared item locations live (crypto/share.ts): one SQL text for SQLite and D1, through
 * ../sql-executor.ts, routed by id over shards like everything else. Every change needs the hash
 * of the owner's token to match, checked inside the statement itself.
 */
import { shardOf } from '../sharded/store.ts';
import type { SqlExecutor } from '../sql-executor.ts';

export interface StoredShare {
  readonly ciphertext: Uint8Array;
  /** Unix seconds. */
  readonly expiresAt: number;
  readonly updatedAt: number;
  /** The owner ended the share as found; the ciphertext is gone. */
  readonly found: boolean;
}

export interface ShareStore {
  create(
    id: Uint8Array,
    share: { ciphertext: Uint8Array; tokenHash: Uint8Array; expiresAt: number },
    now: number,
  ): Promise<void>;
  /** The live share, or undefined (never made, revoked, expired). */
  get(id: Uint8Array, now: number): Promise<StoredShare | undefined>;
  /** Replaces the ciphertext of a live share not yet found; false when id and token do not match one. */
  update(id: Uint8Array, tokenHash: Uint8Array, ciphertext: Uint8Array, now: number): Promise<boolean>;
  /** Ends a share as found (its ciphertext is dropped, the link says so until it expires). */
  markFound(id: Uint8Array, tokenHash: Uint8Array, now: number): Promise<boolean>;
  /** Deletes a share. */
  revoke(id: Uint8Array, tokenHash: Uint8Array): Promise<boolean>;
  /** Deletes every expired share; returns how many. */
  prune(now: number): Promise<number>;
}

const LIVE = 'expires_at > ?';

/** @example new SqlShareStore([sqliteExecutor(db)]) */
export class SqlShareStore implements ShareStore {
  readonly #shards: readonly SqlExecutor[];

  /** One executor per shard, in routing order. */
  constructor(shards: readonly SqlExecutor[]) {
    if (shards.length === 0) throw new RangeError('a share store needs at least one database');
    this.#shards = shards;
  }

  async #one<Row>(id: Uint8Array, sql: string, params: unknown[]): Promise<Row[]> {
    const [rows] = await this.#shards[shardOf(id, this.#shards.length)]!.batch<Row>([{ sql, params }]);
    return rows!;
  }

  async create(
    id: Uint8Array,
    share: { ciphertext: Uint8Array; tokenHash: Uint8Array; expiresAt: number },
    now: number,
  ) {
    await this.#one(
      id,
      'INSERT INTO shares (id, ciphertext, token_hash, expires_at, updated_at, found) VALUES (?, ?, ?, ?, ?, 0)',
      [id, share.ciphertext, share.tokenHash, share.expiresAt, now],
    );
  }

  async get(id: Uint8Array, now: number): Promise<StoredShare | undefined> {
    const shard = this.#shards[shardOf(id, this.#shards.length)]!;
    const [row] = await this.#one<{ ciphertext: unknown; expires_at: number; updated_at: number; found: number }>(
      id,
      `SELECT ciphertext, expires_at, updated_at, found FROM shares WHERE id = ? AND ${LIVE}`,
      [id, now],
    );
    if (!row) return undefined;
    return {
      ciphertext: shard.bytes(row.ciphertext),
      expiresAt: row.expires_at,
      updatedAt: row.updated_at,
      found: row.found === 1,
    };
  }

  async update(id: Uint8Array, tokenHash: Uint8Array, ciphertext: Uint8Array, now: number): Promise<boolean> {
    const rows = await this.#one(
      id,
      `UPDATE shares SET ciphertext = ?, updated_at = ? WHERE id = ? AND token_hash = ? AND found = 0 AND ${LIVE} RETURNING id`,
      [ciphertext, now, id, tokenHash, now],
    );
    return rows.length === 1;
  }

  async markFound(id: Uint8Array, tokenHash: Uint8Array, now: number): Promise<boolean> {
    const rows = await this.#one(
      id,
      `UPDATE shares SET ciphertext = x'', found = 1, updated_at = ? WHERE id = ? AND token_hash = ? AND ${LIVE} RETURNING id`,
      [now, id, tokenHash, now],
    );
    return rows.length === 1;
  }

  async revoke(id: Uint8Array, tokenHash: Uint8Array): Promise<boolean> {
    const rows = await this.#one(id, 'DELETE FROM shares WHERE id = ? AND token_hash = ? RETURNING id', [
      id,
      tokenHash,
    ]);
    return rows.length === 1;
  }

  async prune(now: number): Promise<number> {
    const counts = await Promise.all(
      this.#shards.map(
        async (shard) =>
          (await shard.batch([{ sql: 'DELETE FROM shares WHERE expires_at <= ? RETURNING id', params: [now] }]))[0]!
            .length,
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
}
