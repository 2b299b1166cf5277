/**
 * The binary upload body (`application/octet-stream` on `POST /v1/reports`): records of a
 * 32-byte hashed id followed by an 88-byte payload, back to back. The SDK writes it, the server
 * reads it; both use this one codec.
 */
import { FormatError, HASHED_ID_LENGTH, REPORT_LENGTH, type SealedReport } from '../../crypto/index.ts';

/** Bytes of one record: the hashed id, then an 88-byte payload. */
export const BINARY_RECORD_LENGTH = HASHED_ID_LENGTH + REPORT_LENGTH;

/**
 * The body for `reports`, which must hold 32-byte ids and 88-byte payloads.
 * @example fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: encodeBinaryUpload(reports) })
 */
export function encodeBinaryUpload(reports: readonly SealedReport[]): Uint8Array {
  const body = new Uint8Array(reports.length * BINARY_RECORD_LENGTH);
  reports.forEach((r, i) => {
    if (r.hashedId.length !== HASHED_ID_LENGTH || r.payload.length !== REPORT_LENGTH) {
      throw new FormatError(
        `a binary upload holds ${HASHED_ID_LENGTH}-byte ids and ${REPORT_LENGTH}-byte payloads (report ${i})`,
      );
    }
    body.set(r.hashedId, i * BINARY_RECORD_LENGTH);
    body.set(r.payload, i * BINARY_RECORD_LENGTH + HASHED_ID_LENGTH);
  });
  return body;
}

/**
 * How many records a body holds; a body that is empty or not whole records is a {@link FormatError}.
 * @example binaryRecordCount(new Uint8Array(240)) // 2
 */
export function binaryRecordCount(body: Uint8Array): number {
  if (body.length === 0 || body.length % BINARY_RECORD_LENGTH !== 0) {
    throw new FormatError(
      `a binary upload is a non-empty sequence of ${BINARY_RECORD_LENGTH}-byte records (32-byte id, 88-byte payload); got ${body.length} bytes`,
    );
  }
  return body.length / BINARY_RECORD_LENGTH;
}

/**
 * Record `index` of a body, as views into it.
 * @example binaryRecordAt(body, 0).hashedId
 */
export function binaryRecordAt(body: Uint8Array, index: number): SealedReport {
  const start = index * BINARY_RECORD_LENGTH;
  return {
    hashedId: body.subarray(start, start + HASHED_ID_LENGTH),
    payload: body.subarray(start + HASHED_ID_LENGTH, start + BINARY_RECORD_LENGTH),
  };
}
