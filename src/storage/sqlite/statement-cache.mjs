// @ts-check
/**
 * Prepared statements by SQL text, at most `max`, the oldest dropped first: owner queries and
 * cap counts differ only in how many ids they name, so a few shapes recur. Plain JavaScript,
 * because the reader threads (reader-worker.mjs) keep theirs the same way.
 */

/**
 * @param {import('better-sqlite3').Database} db
 * @param {number} max
 * @returns {(sql: string) => import('better-sqlite3').Statement}
 * @example const prepared = statementCache(db, 256); prepared('SELECT 1').get();
 */
export function statementCache(db, max) {
  /** @type {Map<string, import('better-sqlite3').Statement>} */
  const statements = new Map();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= max) statements.delete(/** @type {string} */ (statements.keys().next().value));
      statements.set(sql, (statement = db.prepare(sql)));
    }
    return statement;
  };
}
