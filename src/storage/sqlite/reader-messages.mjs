// @ts-check
/**
 * What crosses between the store and its reader threads (readers.ts), packed so that
 * each direction is one transferred buffer plus a few numbers instead of hundreds of cloned
 * byte arrays: cloning an owner query's 750 ids one by one took ~0.8 ms a round trip.
 * Plain JavaScript, because reader-worker.mjs uses it.
 *
 * Statements (whose parameters are numbers and byte arrays) go as their SQL, their parameters
 * with every byte array replaced by null, and those byte arrays packed. Answers go as the
 * blobs the statements returned (report bundles, report-bundle.ts), packed.
 */

/** @typedef {{ sql: string, params: unknown[] }} Statement */
/** @typedef {{ packed: Uint8Array<ArrayBuffer>, ends: number[] }} PackedBlobs */
/** @typedef {{ sqls: string[], params: unknown[][], blobs: PackedBlobs }} PackedStatements */

/**
 * Byte arrays concatenated in order, with where each ends; a null packs as an empty array.
 * @param {ReadonlyArray<Uint8Array | null>} blobs
 * @returns {PackedBlobs}
 * @example const answer = packBlobs(blobs); port.postMessage(answer, [answer.packed.buffer])
 */
export function packBlobs(blobs) {
  /** @type {number[]} */
  const ends = [];
  let length = 0;
  for (const blob of blobs) ends.push((length += blob?.length ?? 0));
  const packed = new Uint8Array(length);
  blobs.forEach((blob, i) => blob && packed.set(blob, i === 0 ? 0 : ends[i - 1]));
  return { packed, ends };
}

/**
 * The `index`th byte array of {@link packBlobs}, as a view.
 * @param {PackedBlobs} blobs
 * @param {number} index
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function blobAt({ packed, ends }, index) {
  return packed.subarray(index === 0 ? 0 : ends[index - 1], ends[index]);
}

/**
 * @param {readonly Statement[]} statements
 * @returns {PackedStatements}
 * @example worker.postMessage(packStatements(statements))
 */
export function packStatements(statements) {
  /** @type {Uint8Array[]} */
  const blobs = [];
  const params = statements.map((s) =>
    s.params.map((param) => {
      if (typeof param === 'number') return param;
      if (!(param instanceof Uint8Array)) throw new TypeError('statement parameters are numbers and byte arrays');
      blobs.push(param);
      return null;
    }),
  );
  return { sqls: statements.map((s) => s.sql), params, blobs: packBlobs(blobs) };
}

/**
 * @param {PackedStatements} packed
 * @returns {Statement[]}
 */
export function unpackStatements({ sqls, params, blobs }) {
  let blob = 0;
  return sqls.map((sql, k) => ({
    sql,
    params: /** @type {unknown[]} */ (params[k]).map((param) => (param === null ? blobAt(blobs, blob++) : param)),
  }));
}
