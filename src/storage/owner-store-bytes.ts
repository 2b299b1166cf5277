/**
 * The bytes the owner stores keep (notices, shares, mailbox messages and states, attachment
 * chunks): their rows' columns that grow with what a writer sends. One statement that SQLite
 * and D1 both run; summing `length()` reads each table's rows but not the large values
 * themselves, which SQLite keeps on pages of their own.
 */
import type { SqlExecutor } from './sql-executor.ts';

const SUMS = [
  'SELECT COALESCE(SUM(length(notice) + length(hashed_id) + length(withdraw_hash)), 0) FROM notices',
  'SELECT COALESCE(SUM(length(ciphertext) + length(id) + length(token_hash)), 0) FROM shares',
  'SELECT COALESCE(SUM(length(message) + length(mailbox)), 0) FROM mailbox_messages',
  'SELECT COALESCE(SUM(length(statement) + length(mailbox)), 0) FROM mailbox_states',
  'SELECT COALESCE(SUM(length(chunk) + length(mailbox) + length(attachment)), 0) FROM attachment_chunks',
];
const OWNER_STORE_BYTES_SQL = `SELECT ${SUMS.map((sum) => `(${sum})`).join(' + ')} AS bytes`;

/**
 * @example await ownerStoreBytes([sqliteExecutor(db)]) // 356 after one notice
 */
export async function ownerStoreBytes(executors: readonly SqlExecutor[]): Promise<number> {
  const sums = await Promise.all(
    executors.map(async (sql) => {
      const [rows] = await sql.batch<{ bytes: number }>([{ sql: OWNER_STORE_BYTES_SQL, params: [] }]);
      return Number(rows![0]!.bytes);
    }),
  );
  return sums.reduce((a, b) => a + b, 0);
}
