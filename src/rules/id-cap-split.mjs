// @ts-check
/**
 * The per-id daily cap's one decision (rules/id-cap.ts plans it), in plain JavaScript because the
 * SQLite writer thread applies it too and Node 20 runs no TypeScript in worker threads.
 */

/**
 * Which reports of a batch fit under the cap, in batch order: each takes one of its (day, id)
 * pair's places, after the `stored` reports the pair already holds.
 * @param {ArrayLike<number>} pairOfReport the pair each report belongs to
 * @param {ArrayLike<number>} stored reports each pair already holds
 * @param {number} capPerDay
 * @returns {boolean[]} whether each report fits
 * @example fitUnderCap([0, 0, 1], [1, 0], 2) // [true, false, true]
 */
export function fitUnderCap(pairOfReport, stored, capPerDay) {
  const used = Array.from(stored);
  return Array.from(pairOfReport, (pair) => {
    if (/** @type {number} */ (used[pair]) >= capPerDay) return false;
    used[pair] = /** @type {number} */ (used[pair]) + 1;
    return true;
  });
}
