// @ts-check
/**
 * What crosses between the store and its reader threads (sqlite-readers.ts), packed so that
 * each direction is one transferred buffer plus a few numbers instead of hundreds of cloned
 * byte arrays: cloning an owner query's 750 ids one by one took ~0.8 ms a round trip.
 * Plain JavaScript, because sqlite-reader-worker.mjs uses it.
 *
 * Statements (whose parameters are numbers and byte arrays): their SQL, their parameters with
 * every byte array replaced by null, and those byte arrays concatenated in order, with where
 * each ends.
 * Reports, each laid out as: payload length (1 byte) ‖ hashed id (32) ‖ payload (88 or 89) ‖
 * timestamp (4) ‖ received at (4), integers big-endian Unix seconds.
 */

/** @typedef {import('./store.ts').StoredReport} StoredReport */
/** @typedef {{ sql: string, params: readonly unknown[] }} Statement */
/** @typedef {{ sqls: string[], params: unknown[][], blobs: Uint8Array<ArrayBuffer>, blobEnds: number[] }} PackedStatements */

/**
 * @param {readonly Statement[]} statements
 * @returns {PackedStatements}
 * @example worker.postMessage(packStatements(statements))
 */
export function packStatements(statements) {
  /** @type {number[]} */
  const blobEnds = [];
  let length = 0;
  const params = statements.map((s) =>
    s.params.map((param) => {
      if (typeof param === 'number') return param;
      if (!(param instanceof Uint8Array)) throw new TypeError('statement parameters are numbers and byte arrays');
      blobEnds.push((length += param.length));
      return null;
    }),
  );
  const blobs = new Uint8Array(length);
  let at = 0;
  for (const s of statements) {
    for (const param of s.params) {
      if (!(param instanceof Uint8Array)) continue;
      blobs.set(param, at);
      at += param.length;
    }
  }
  return { sqls: statements.map((s) => s.sql), params, blobs, blobEnds };
}

/**
 * @param {PackedStatements} packed
 * @returns {Statement[]}
 */
export function unpackStatements({ sqls, params, blobs, blobEnds }) {
  let blob = 0;
  return sqls.map((sql, k) => ({
    sql,
    params: /** @type {unknown[]} */ (params[k]).map((param) => (param === null ? blobs.subarray(blob === 0 ? 0 : blobEnds[blob - 1], blobEnds[blob++]) : param)),
  }));
}

const HASHED_ID_LENGTH = 32;
/** Payload length byte, and the two 4-byte times. */
const FRAME_BYTES = 1 + 4 + 4;

/**
 * Packs rows as selectReports returns them in raw mode: [hashed id ‖ payload, timestamp, received at].
 * @param {ReadonlyArray<[Uint8Array, number, number]>} rows
 * @returns {Uint8Array<ArrayBuffer>}
 * @example packReportRows(statement.raw(true).all(...params))
 */
export function packReportRows(rows) {
  let length = 0;
  for (const [record] of rows) length += FRAME_BYTES + record.length;
  const packed = new Uint8Array(length);
  const view = new DataView(packed.buffer);
  let at = 0;
  for (const [record, timestamp, receivedAt] of rows) {
    packed[at] = record.length - HASHED_ID_LENGTH;
    packed.set(record, at + 1);
    at += 1 + record.length;
    view.setUint32(at, timestamp);
    view.setUint32(at + 4, receivedAt);
    at += 8;
  }
  return packed;
}

/**
 * The reports of {@link packReportRows}, in their order; ids and payloads are views of `packed`.
 * @param {Uint8Array} packed
 * @returns {StoredReport[]}
 */
export function unpackReports(packed) {
  /** @type {StoredReport[]} */
  const reports = [];
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  for (let at = 0; at < packed.length; ) {
    const idAt = at + 1;
    const payloadAt = idAt + HASHED_ID_LENGTH;
    at = payloadAt + /** @type {number} */ (packed[at]);
    reports.push({ hashedId: packed.subarray(idAt, payloadAt), payload: packed.subarray(payloadAt, at), timestamp: view.getUint32(at), receivedAt: view.getUint32(at + 4) });
    at += 8;
  }
  return reports;
}
