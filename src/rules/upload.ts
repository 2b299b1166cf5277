/**
 * The server's rules for an uploaded report (one implementation, used by every runtime and
 * both body formats): an 88- or 89-byte payload whose ephemeral key is an uncompressed P-224
 * point, observed within the retained window. A JSON batch's size is checked by its schema
 * (contract/schemas.ts), a binary one's here, with the same words.
 */
import { EXTENDED_REPORT_LENGTH, FormatError, parseReport, type P224Engine } from '../../crypto/index.ts';
import { binaryRecordAt, binaryRecordCount } from '../contract/binary-upload.ts';
import { batchTooLarge } from '../contract/limits.ts';
import type { ObservedReport } from '../storage/store.ts';
import { MAX_CLOCK_SKEW_SECONDS, type ObservationWindow } from './retention.ts';

/** Where the 89-byte form's extra byte stands, after the 4-byte timestamp. */
const EXTRA_BYTE_OFFSET = 4;

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

/**
 * Checks one item and returns it ready to store; throws {@link UploadItemError} with the reason.
 * The engine checks the ephemeral key, the one costly rule.
 * @example validateUploadItem(0, hashedId, payload, retainedWindow(now, 7), engine)
 */
export function validateUploadItem(
  index: number,
  hashedId: Uint8Array,
  payload: Uint8Array,
  window: ObservationWindow,
  engine: P224Engine,
): ObservedReport {
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
  // The extra byte of the 89-byte form has been 0 in every report ever observed, and nothing
  // authenticates it: a different value is a forgery's mark or a bug, and is not stored.
  if (payload.length === EXTENDED_REPORT_LENGTH && payload[EXTRA_BYTE_OFFSET] !== 0) {
    throw new UploadItemError(index, 'payload: byte 4 of an 89-byte report is always 0 (docs/protocol.md §3.2)');
  }
  if (!engine.isUncompressedPoint(ephemeralPublicKey)) {
    throw new UploadItemError(index, 'payload: the ephemeral key is not an uncompressed P-224 point');
  }
  if (timestamp > window.until) {
    throw new UploadItemError(
      index,
      `payload: the report is timestamped more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes in the future`,
    );
  }
  if (timestamp < window.since)
    throw new UploadItemError(index, 'payload: the report is older than the retention window');
  return { hashedId, payload, timestamp };
}

/**
 * Splits a binary upload into its records and validates every one.
 * @example validateBinaryUpload(new Uint8Array(await request.arrayBuffer()), window, 5000, engine)
 */
export function validateBinaryUpload(
  body: Uint8Array,
  window: ObservationWindow,
  maxBatch: number,
  engine: P224Engine,
): ObservedReport[] {
  const count = binaryRecordCount(body);
  if (count > maxBatch) throw new FormatError(batchTooLarge(maxBatch, count));
  const reports: ObservedReport[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const { hashedId, payload } = binaryRecordAt(body, i);
    reports[i] = validateUploadItem(i, hashedId, payload, window, engine);
  }
  return reports;
}
