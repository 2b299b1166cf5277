// @ts-check
/**
 * Writing a group of upload batches into the report table in one transaction, each batch in its
 * own savepoint so that one failing batch leaves the others intact: the one implementation that
 * the store runs on its own connection or hands to its writer thread (writer.ts). Plain
 * JavaScript, because Node 20 runs no TypeScript in worker threads.
 *
 * A batch arrives described by the store, which holds the id filter: its reports with their
 * days, the (day, id) pairs the per-id cap counts and whether the filter lets each pair hold
 * reports yet, each report's pair, and the other days where a copy of each report's seal could
 * stand (a replay with a forged time is a duplicate).
 */
import { fitUnderCap } from '../../rules/id-cap-split.mjs';

/** @typedef {{ hashedId: Uint8Array, payload: Uint8Array, timestamp: number, bucket: number }} BatchReport */
/**
 * @typedef {{
 *   reports: BatchReport[],
 *   receivedAt: number,
 *   capPerDay: number,
 *   pairs: Array<readonly [number, Uint8Array]>,
 *   pairMayHold: boolean[],
 *   pairOfReport: readonly number[],
 *   otherBuckets: number[][],
 * }} Batch
 */
/** @typedef {{ accepted: number, duplicates: number, rejected: number }} BatchResult */
/**
 * @typedef {{ insert: string, countPair: string, sealStored: string, acknowledge: string, acknowledged: string }} WriteSql
 * `acknowledge` counts a committed write; `acknowledged` reads the identity (hex) and that count.
 */

/**
 * @param {import('better-sqlite3').Database} db
 * @param {WriteSql} sql
 * @returns {(group: Batch[]) => Array<BatchResult | { error: unknown }>}
 * @example const write = groupWriter(db, WRITE_SQL); const results = write(batches);
 */
export function groupWriter(db, sql) {
  const insert = db.prepare(sql.insert);
  const countPair = db.prepare(sql.countPair).pluck();
  const sealStored = db.prepare(sql.sealStored);
  const acknowledge = db.prepare(sql.acknowledge);
  // A nested better-sqlite3 transaction is a savepoint: a failing batch rolls back alone. The
  // cap is counted inside it, after the group's earlier batches: exact, whatever the concurrency.
  const writeBatch = db.transaction((/** @type {Batch} */ batch) => {
    const stored = batch.pairs.map(([bucket, hashedId], k) =>
      batch.pairMayHold[k] ? /** @type {number} */ (countPair.get(bucket, hashedId)) : 0,
    );
    const fits = batch.capPerDay > 0 ? fitUnderCap(batch.pairOfReport, stored, batch.capPerDay) : undefined;
    let accepted = 0;
    let kept = 0;
    batch.reports.forEach((r, i) => {
      if (fits && !fits[i]) return;
      kept++;
      const others = /** @type {number[]} */ (batch.otherBuckets[i]);
      if (others.some((other) => sealStored.get(other, r.hashedId, r.payload) !== undefined)) return;
      accepted += insert.run(r.bucket, r.hashedId, r.timestamp, r.payload, batch.receivedAt).changes;
    });
    return { accepted, duplicates: kept - accepted, rejected: batch.reports.length - kept };
  });
  return db.transaction((/** @type {Batch[]} */ group) => {
    const results = group.map((batch) => {
      try {
        return writeBatch(batch);
      } catch (error) {
        // SQLite rolls the whole transaction back on some errors (full, I/O, busy): then
        // nothing of the group is stored, and nothing more may run outside a transaction.
        if (!db.inTransaction) throw error;
        return { error };
      }
    });
    // The group's commit is one acknowledged write (acknowledged-record.mjs).
    acknowledge.run();
    return results;
  });
}
