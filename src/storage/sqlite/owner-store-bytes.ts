/**
 * The bytes the owner stores keep (notices, shares, mailbox messages and states, attachment
 * chunks): their rows' columns that grow with what a writer sends. Summing `length()` reads
 * each table's rows but not the large values themselves, which SQLite keeps on pages of their own.
 */
import type Database from 'better-sqlite3';
import type { SqliteWriter } from './writer.ts';

const SUMS = [
  'SELECT COALESCE(SUM(length(notice) + length(hashed_id) + length(withdraw_hash)), 0) FROM notices',
  'SELECT COALESCE(SUM(length(ciphertext) + length(id) + length(token_hash)), 0) FROM shares',
  'SELECT COALESCE(SUM(length(message) + length(mailbox)), 0) FROM mailbox_messages',
  'SELECT COALESCE(SUM(length(statement) + length(mailbox)), 0) FROM mailbox_states',
  'SELECT COALESCE(SUM(length(chunk) + length(mailbox) + length(attachment)), 0) FROM attachment_chunks',
];
const OWNER_STORE_BYTES_SQL = `SELECT ${SUMS.map((sum) => `(${sum})`).join(' + ')} AS bytes`;

/**
 * On the writer thread when there is one (a stalled disk then holds that thread, not the one
 * answering requests), else a plain read on the connection given.
 * @example await ownerStoreBytes(db, writer) // 356 after one notice
 */
export async function ownerStoreBytes(db: Database.Database, writer?: SqliteWriter): Promise<number> {
  if (!writer) return Number((db.prepare(OWNER_STORE_BYTES_SQL).get() as { bytes: number }).bytes);
  const [rows] = (await writer.batch([{ sql: OWNER_STORE_BYTES_SQL, params: [] }])) as Array<Array<{ bytes: number }>>;
  return Number(rows![0]!.bytes);
}
