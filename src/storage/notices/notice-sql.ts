/**
 * The notice statements, one text for SQLite and D1. Each returns the rows it touched, so that
 * a store learns what happened from the statement itself, with no read before the write.
 */

/** Columns bound per published notice. */
export const NOTICE_PARAMETERS_PER_ROW = 5;
/** Columns bound per withdrawal. */
export const WITHDRAW_PARAMETERS_PER_ROW = 2;

export interface NoticeRow {
  hashed_id: unknown;
  notice: unknown;
  expires_at: number;
}

const rows = (count: number, width: number) =>
  Array.from({ length: count }, () => `(${Array(width).fill('?').join(', ')})`).join(', ');

/**
 * Inserts `count` notices; an id whose notice is still live keeps it (first write wins), one
 * whose notice has expired but is not yet pruned takes the new one.
 */
export const publishNoticesSql = (count: number) =>
  `INSERT INTO notices (hashed_id, notice, expires_at, withdraw_hash, published_at) VALUES ${rows(count, NOTICE_PARAMETERS_PER_ROW)}
   ON CONFLICT (hashed_id) DO UPDATE SET notice = excluded.notice, expires_at = excluded.expires_at,
     withdraw_hash = excluded.withdraw_hash, published_at = excluded.published_at
   WHERE notices.expires_at <= excluded.published_at
   RETURNING hashed_id`;

/** The live notices of `count` ids; the first parameter is now. */
export const findNoticesSql = (count: number) =>
  `SELECT hashed_id, notice, expires_at FROM notices
   WHERE expires_at > ? AND hashed_id IN (${Array(count).fill('?').join(', ')})`;

/** Deletes the notices of `count` (id, token hash) pairs that both match. */
export const withdrawNoticesSql = (count: number) =>
  `DELETE FROM notices WHERE (hashed_id, withdraw_hash) IN (VALUES ${rows(count, WITHDRAW_PARAMETERS_PER_ROW)})
   RETURNING hashed_id`;

export const PRUNE_NOTICES_SQL = 'DELETE FROM notices WHERE expires_at <= ? RETURNING hashed_id';
