/**
 * The bytes the owner stores keep (notices, shares, mailbox messages and states, attachment
 * chunks): their rows' columns that grow with what a writer sends. Summing `length()` reads
 * each table's rows but not the large values themselves, which SQLite keeps on pages of their own.
 */
import type Database from 'better-sqlite3';

const SUMS = [
  'SELECT COALESCE(SUM(length(notice) + length(hashed_id) + length(withdraw_hash)), 0) FROM notices',
  'SELECT COALESCE(SUM(length(ciphertext) + length(id) + length(token_hash)), 0) FROM shares',
  'SELECT COALESCE(SUM(length(message) + length(mailbox)), 0) FROM mailbox_messages',
  'SELECT COALESCE(SUM(length(statement) + length(mailbox)), 0) FROM mailbox_states',
  'SELECT COALESCE(SUM(length(chunk) + length(mailbox) + length(attachment)), 0) FROM attachment_chunks',
];
const OWNER_STORE_BYTES_SQL = `SELECT ${SUMS.map((sum) => `(${sum})`).join(' + ')} AS bytes`;

/**
 * A plain read on the connection it is given: in WAL mode it waits for no writer, where a
 * transaction of the shared executor would take the write lock.
 * @example await ownerStoreBytes(db) // 356 after one notice
 */
export async function ownerStoreBytes(db: Database.Database): Promise<number> {
  return Number((db.prepare(OWNER_STORE_BYTES_SQL).get() as { bytes: number }).bytes);
}
