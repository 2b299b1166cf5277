/**
 * Opaque pagination cursors: the stable-order position of the last report a page returned,
 * as standard base64 of timestamp (4 bytes) ‖ hashed id (32) ‖ payload (88 or 89).
 */
import {
  base64ToBytes,
  bytesToBase64,
  EXTENDED_REPORT_LENGTH,
  FormatError,
  HASHED_ID_LENGTH,
  REPORT_LENGTH,
} from '../../crypto/index.ts';
import type { ObservedReport } from '../storage/store.ts';

const TIMESTAMP_LENGTH = 4;

/** @example encodeCursor({ timestamp, hashedId, payload }) */
export function encodeCursor(position: ObservedReport): string {
  const bytes = new Uint8Array(TIMESTAMP_LENGTH + HASHED_ID_LENGTH + position.payload.length);
  new DataView(bytes.buffer).setUint32(0, position.timestamp);
  bytes.set(position.hashedId, TIMESTAMP_LENGTH);
  bytes.set(position.payload, TIMESTAMP_LENGTH + HASHED_ID_LENGTH);
  return bytesToBase64(bytes);
}

/** Inverse of {@link encodeCursor}; anything else is a {@link FormatError}. */
export function decodeCursor(text: string): ObservedReport {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(text);
  } catch {
    throw new FormatError('cursor is not one this server issued');
  }
  const payloadLength = bytes.length - TIMESTAMP_LENGTH - HASHED_ID_LENGTH;
  if (payloadLength !== REPORT_LENGTH && payloadLength !== EXTENDED_REPORT_LENGTH)
    throw new FormatError('cursor is not one this server issued');
  return {
    timestamp: new DataView(bytes.buffer).getUint32(0),
    hashedId: bytes.slice(TIMESTAMP_LENGTH, TIMESTAMP_LENGTH + HASHED_ID_LENGTH),
    payload: bytes.slice(TIMESTAMP_LENGTH + HASHED_ID_LENGTH),
  };
}
