/**
 * The notice statements, one text for SQLite and D1. Each returns the rows it touched, so that
 * a store learns what happened from the statement itself, with no read before the write.
 */
import { MAX_LIVE_NOTICES_PER_ID, MAX_NOTICES_PER_ID } from '../../contract/limits.ts';

/** Columns bound per published notice (now is bound once, first). */
export const NOTICE_PARAMETERS_PER_ROW = 4;
/** Columns bound per withdrawal. */
export const WITHDRAW_PARAMETERS_PER_ROW = 2;

export interface NoticeRow {
  hashed_id: unknown;
  notice: unknown;
  expires_at: number;
}

/** Every notice of an id, live or withdrawn, as noticeRefusal reads them. */
export interface HeldNoticeRow extends NoticeRow {
  withdraw_hash: unknown;
  withdrawn: number;
}

const rows = (count: number, width: number) =>
  Array.from({ length: count }, () => `(${Array(width).fill('?').join(', ')})`).join(', ');

/** Live notices of the id `v.column1` at `t.now`, under the alias n. */
const LIVE = 'n.hashed_id = v.column1 AND n.withdrawn = 0 AND n.expires_at > t.now';

/**
 * Inserts each of `count` notices (id, notice, expires_at, withdraw_hash; now first, once) unless
 * its id already holds a live notice under the same withdraw hash (kept: the owner's re-run),
 * these bytes already (live, or withdrawn: a withdrawal stays one), MAX_LIVE_NOTICES_PER_ID live
 * notices, or MAX_NOTICES_PER_ID in all. Ids are unique per statement, so one row's insert cannot
 * change another's counts. noticeRefusal explains a refusal by the same tests, in this order.
 */
export const publishNoticesSql = (count: number) =>
  `WITH t(now) AS (SELECT ?)
   INSERT INTO notices (hashed_id, notice, expires_at, withdraw_hash, published_at, withdrawn)
   SELECT v.column1, v.column2, v.column3, v.column4, t.now, 0
   FROM t, (VALUES ${rows(count, NOTICE_PARAMETERS_PER_ROW)}) AS v
   WHERE NOT EXISTS (SELECT 1 FROM notices n WHERE ${LIVE} AND n.withdraw_hash = v.column4)
     AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.hashed_id = v.column1 AND n.notice = v.column2)
     AND (SELECT count(*) FROM notices n WHERE ${LIVE}) < ${MAX_LIVE_NOTICES_PER_ID}
     AND (SELECT count(*) FROM notices n WHERE n.hashed_id = v.column1) < ${MAX_NOTICES_PER_ID}
   RETURNING hashed_id`;

/** Why a notice did not take. */
export type NoticeRefusal = 'kept' | 'replayed' | 'full';

/**
 * Why publishNoticesSql refused a notice, from every notice its id holds (heldNoticesSql), tested
 * in that statement's order; read after it, so a publish racing it may change the answer, never
 * what was stored.
 */
export function noticeRefusal(
  notice: { notice: Uint8Array; withdrawHash: Uint8Array },
  held: ReadonlyArray<{ notice: Uint8Array; withdrawHash: Uint8Array; live: boolean }>,
): NoticeRefusal {
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);
  if (held.some((h) => h.live && same(h.withdrawHash, notice.withdrawHash))) return 'kept';
  if (held.some((h) => same(h.notice, notice.notice))) return 'replayed';
  return 'full';
}

/** Every notice, live or withdrawn, of `count` ids. */
export const heldNoticesSql = (count: number) =>
  `SELECT hashed_id, notice, expires_at, withdraw_hash, withdrawn FROM notices
   WHERE hashed_id IN (${Array(count).fill('?').join(', ')})`;

/** The live notices of `count` ids; the first parameter is now. */
export const findNoticesSql = (count: number) =>
  `SELECT hashed_id, notice, expires_at FROM notices
   WHERE withdrawn = 0 AND expires_at > ? AND hashed_id IN (${Array(count).fill('?').join(', ')})`;

/**
 * Marks withdrawn the live notices of `count` (id, token hash) pairs that both match; the rows
 * stay until they expire, so that their bytes cannot be published again.
 */
export const withdrawNoticesSql = (count: number) =>
  `UPDATE notices SET withdrawn = 1
   WHERE withdrawn = 0 AND (hashed_id, withdraw_hash) IN (VALUES ${rows(count, WITHDRAW_PARAMETERS_PER_ROW)})
   RETURNING hashed_id`;

/** Expired notices and expired tombstones: a notice past its expiry cannot be published again anyway. */
export const PRUNE_NOTICES_SQL = 'DELETE FROM notices WHERE expires_at <= ? RETURNING hashed_id';
