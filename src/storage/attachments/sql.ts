/** Attachment chunks in the SQLite file (Node), through ../sql-executor.ts. */
import type { SqlExecutor } from '../sql-executor.ts';
import type { AttachmentStore, ChunkAddress } from './store.ts';

// A replacement of a stored chunk is not a new one: the quota counts the others.
const PUT_SQL = `INSERT OR REPLACE INTO attachment_chunks (mailbox, attachment, idx, chunk, expires_at)
  SELECT ?, ?, ?, ?, ?
  WHERE (SELECT count(*) FROM attachment_chunks WHERE mailbox = ? AND NOT (attachment = ? AND idx = ?)) < ?
  RETURNING idx`;

/** @example new SqlAttachmentStore(sqliteExecutor(db)) */
export class SqlAttachmentStore implements AttachmentStore {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async put({ mailbox, attachment, index }: ChunkAddress, chunk: Uint8Array, expiresAt: number, quota: number) {
    const [rows] = await this.#sql.batch([
      { sql: PUT_SQL, params: [mailbox, attachment, index, chunk, expiresAt, mailbox, attachment, index, quota] },
    ]);
    return rows!.length === 1;
  }

  async get({ mailbox, attachment, index }: ChunkAddress, now: number) {
    const [rows] = await this.#sql.batch<{ chunk: unknown }>([
      {
        sql: 'SELECT chunk FROM attachment_chunks WHERE mailbox = ? AND attachment = ? AND idx = ? AND expires_at > ?',
        params: [mailbox, attachment, index, now],
      },
    ]);
    return rows![0] ? this.#sql.bytes(rows![0].chunk) : undefined;
  }

  async prune(now: number) {
    const [rows] = await this.#sql.batch([
      { sql: 'DELETE FROM attachment_chunks WHERE expires_at <= ? RETURNING idx', params: [now] },
    ]);
    return rows!.length;
  }
}
