/**
 * The server's rules for an uploaded report (one implementation, used by every runtime):
 * a 32-byte hashed id, an 88- or 89-byte payload whose ephemeral key is an uncompressed
 * P-224 point, observed no later than 10 minutes from now and within the retention window.
 */
import { FormatError, HASHED_ID_LENGTH, parseReport, REPORT_LENGTH, type P224Engine } from '../../crypto/index.ts';
import type { NewReport } from '../storage/store.ts';

/** Finders' clocks drift; a report may claim to be this far in the future. */
export const MAX_CLOCK_SKEW_SECONDS = 10 * 60;
/** Bytes of one record in a binary upload: the hashed id, then an 88-byte payload. */
export const BINARY_RECORD_LENGTH = HASHED_ID_LENGTH + REPORT_LENGTH;

/** Why one upload item was refused; `index` is its position in the batch. */
export class UploadItemError extends Error {
  override name = 'UploadItemError';
  constructor(
    readonly index: number,
    detail: string,
  ) {
    super(`report ${index}: ${detail}`);
  }
}

/** The observation times a server accepts at `nowSeconds`. */
export interface AcceptanceWindow {
  readonly oldest: number;
  readonly newest: number;
}

/** Reports observed in [now − retention, now + skew] are accepted. */
export function acceptanceWindow(nowSeconds: number, retentionSeconds: number): AcceptanceWindow {
  return { oldest: nowSeconds - retentionSeconds, newest: nowSeconds + MAX_CLOCK_SKEW_SECONDS };
}

/**
 * Checks one item and returns it ready to store; throws {@link UploadItemError} with the reason.
 * The engine checks the ephemeral key, the one costly rule.
 * @example validateUploadItem(0, hashedId, payload, acceptanceWindow(now, 7 * 86400), engine)
 */
export function validateUploadItem(
  index: number,
  hashedId: Uint8Array,
  payload: Uint8Array,
  window: AcceptanceWindow,
  engine: P224Engine,
): NewReport {
  if (hashedId.length !== HASHED_ID_LENGTH)
    throw new UploadItemError(index, `id must be ${HASHED_ID_LENGTH} bytes, got ${hashedId.length}`);
  let ephemeralPublicKey: Uint8Array;
  let timestamp: number;
  try {
    const report = parseReport(payload);
    ephemeralPublicKey = report.ephemeralPublicKey;
    timestamp = report.timestamp.getTime() / 1000;
  } catch (error) {
    if (error instanceof FormatError) throw new UploadItemError(index, `payload: ${error.message}`);
    throw error;
  }
  if (!engine.isUncompressedPoint(ephemeralPublicKey))
    throw new UploadItemError(index, 'payload: the ephemeral key is not an uncompressed P-224 point');
  if (timestamp > window.newest)
    throw new UploadItemError(index, 'payload: the report is timestamped more than 10 minutes in the future');
  if (timestamp < window.oldest)
    throw new UploadItemError(index, 'payload: the report is older than the retention window');
  return { hashedId, payload, timestamp };
}

/**
 * Splits a binary upload (concatenated 120-byte records) and validates every record.
 * @example parseBinaryUpload(new Uint8Array(await request.arrayBuffer()), window, 5000, engine)
 */
export function parseBinaryUpload(
  body: Uint8Array,
  window: AcceptanceWindow,
  maxBatch: number,
  engine: P224Engine,
): NewReport[] {
  if (body.length === 0 || body.length % BINARY_RECORD_LENGTH !== 0) {
    throw new FormatError(
      `a binary upload is a non-empty sequence of ${BINARY_RECORD_LENGTH}-byte records (32-byte id, 88-byte payload); got ${body.length} bytes`,
    );
  }
  const count = body.length / BINARY_RECORD_LENGTH;
  if (count > maxBatch) throw new FormatError(`a batch holds at most ${maxBatch} reports, got ${count}`);
  const reports: NewReport[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const record = body.subarray(i * BINARY_RECORD_LENGTH, (i + 1) * BINARY_RECORD_LENGTH);
    reports[i] = validateUploadItem(
      i,
      record.subarray(0, HASHED_ID_LENGTH),
      record.subarray(HASHED_ID_LENGTH),
      window,
      engine,
    );
  }
  return reports;
}

/**
 * The binary upload body: each report's 32-byte hashed id, then its 88-byte payload.
 * @example fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: encodeBinaryUpload(reports) })
 */
export function encodeBinaryUpload(
  reports: ReadonlyArray<{ readonly hashedId: Uint8Array; readonly payload: Uint8Array }>,
): Uint8Array {
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
