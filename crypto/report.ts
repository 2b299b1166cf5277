/**
 * The byte layout of a location report as stored and fetched (docs/protocol.md §3) and of the 10-byte
 * location inside it (docs/protocol.md §4). No cryptography here: see seal.ts.
 */
import { GCM_TAG_LENGTH } from './aes-gcm.ts';
import { expectByte, expectLength } from './bytes.ts';
import { FormatError } from './errors.ts';
import { UNCOMPRESSED_POINT_LENGTH } from './p224.ts';

/** The legacy payload: timestamp, confidence, ephemeral key, ciphertext, tag. */
export const REPORT_LENGTH = 88;
/** The payload since iOS 17.4/17.5: one extra byte (always 0x00) after the timestamp. */
export const EXTENDED_REPORT_LENGTH = 89;
/** The encrypted location: latitude, longitude, accuracy, status. */
export const LOCATION_LENGTH = 10;
/** AES-GCM tag. */
export const TAG_LENGTH = GCM_TAG_LENGTH;
/** Seconds from the Unix epoch to Apple's reference date, 2001-01-01T00:00:00Z (docs/protocol.md §5). */
export const APPLE_EPOCH_OFFSET_SECONDS = 978_307_200;

const TIMESTAMP_LENGTH = 4;
const COORDINATE_SCALE = 1e7;
const MAX_APPLE_SECONDS = 0xffff_ffff;

/** A location report as it travels: everything but the location is in the clear. */
export interface EncryptedReport {
  /** When the finder saw the accessory, whole seconds. */
  readonly timestamp: Date;
  /** The finder's confidence byte, opaque (docs/protocol.md §3.2). */
  readonly confidence: number;
  /** 57-byte uncompressed ephemeral public key of the finder. */
  readonly ephemeralPublicKey: Uint8Array;
  /** 10 bytes. */
  readonly ciphertext: Uint8Array;
  /** 16 bytes. */
  readonly tag: Uint8Array;
}

/**
 * A report as a finder uploads it and a server files it: the payload under the hashed id of
 * the advertisement key it was sealed to.
 */
export interface SealedReport {
  /** 32 bytes: SHA-256 of the advertisement key. */
  readonly hashedId: Uint8Array;
  /** 88 or 89 bytes. */
  readonly payload: Uint8Array;
}

/** The decrypted location (docs/protocol.md §4). */
export interface Location {
  /** Degrees, −90..90, 1e-7 resolution. */
  readonly latitude: number;
  /** Degrees, −180..180, 1e-7 resolution. */
  readonly longitude: number;
  /** Horizontal accuracy in metres, 0..255. */
  readonly accuracy: number;
  /** The accessory's status byte, copied from its advertisement. */
  readonly status: number;
}

/** A location report once opened: the location plus the report's clear-text fields. */
export interface LocationReport extends Location {
  readonly timestamp: Date;
  readonly confidence: number;
}

/**
 * Splits an 88- or 89-byte payload into its fields; for 89 bytes the extra byte 4 is skipped
 * and confidence is byte 5. Any other length is a {@link FormatError}.
 * @example parseReport(base64ToBytes(payloadB64)).timestamp
 */
export function parseReport(payload: Uint8Array): EncryptedReport {
  if (payload.length !== REPORT_LENGTH && payload.length !== EXTENDED_REPORT_LENGTH) {
    throw new FormatError(
      `a report payload is ${REPORT_LENGTH} or ${EXTENDED_REPORT_LENGTH} bytes, got ${payload.length}`,
    );
  }
  const confidenceAt = payload.length - REPORT_LENGTH + TIMESTAMP_LENGTH;
  const keyAt = confidenceAt + 1;
  const ciphertextAt = keyAt + UNCOMPRESSED_POINT_LENGTH;
  const tagAt = ciphertextAt + LOCATION_LENGTH;
  return {
    timestamp: reportTimestamp(payload),
    confidence: payload[confidenceAt]!,
    ephemeralPublicKey: payload.subarray(keyAt, ciphertextAt),
    ciphertext: payload.subarray(ciphertextAt, tagAt),
    tag: payload.subarray(tagAt),
  };
}

/**
 * Reads only the observation time of a payload of any length ≥ 4 (servers filter on it).
 * @example reportTimestamp(payload).getTime()
 */
export function reportTimestamp(payload: Uint8Array): Date {
  if (payload.length < TIMESTAMP_LENGTH) throw new FormatError('a report payload starts with a 4-byte timestamp');
  const appleSeconds = new DataView(payload.buffer, payload.byteOffset, TIMESTAMP_LENGTH).getUint32(0);
  return new Date((appleSeconds + APPLE_EPOCH_OFFSET_SECONDS) * 1000);
}

/**
 * Lays out the 88-byte payload, the form every client reads.
 * @example encodeReport({ timestamp, confidence: 2, ephemeralPublicKey, ciphertext, tag })
 */
export function encodeReport(report: EncryptedReport): Uint8Array {
  const out = new Uint8Array(REPORT_LENGTH);
  new DataView(out.buffer).setUint32(0, appleSeconds(report.timestamp));
  out[TIMESTAMP_LENGTH] = expectByte(report.confidence, 'confidence');
  out.set(
    expectLength(report.ephemeralPublicKey, UNCOMPRESSED_POINT_LENGTH, 'ephemeral public key'),
    TIMESTAMP_LENGTH + 1,
  );
  out.set(expectLength(report.ciphertext, LOCATION_LENGTH, 'ciphertext'), REPORT_LENGTH - TAG_LENGTH - LOCATION_LENGTH);
  out.set(expectLength(report.tag, TAG_LENGTH, 'tag'), REPORT_LENGTH - TAG_LENGTH);
  return out;
}

/**
 * Seconds since 2001-01-01 as a uint32, rounding down to the whole second.
 * @example appleSeconds(new Date('2025-01-01T16:39:57Z')) // 757442397
 */
export function appleSeconds(date: Date): number {
  const seconds = Math.floor(date.getTime() / 1000) - APPLE_EPOCH_OFFSET_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_APPLE_SECONDS) {
    throw new FormatError('a report timestamp must be between 2001-01-01 and 2137-02-07');
  }
  return seconds;
}

/**
 * The 10-byte plaintext: latitude and longitude as signed int32 × 1e7, accuracy, status.
 * @example encodeLocation({ latitude: 52.52, longitude: 13.405, accuracy: 35, status: 0 })
 */
export function encodeLocation(location: Location): Uint8Array {
  const out = new Uint8Array(LOCATION_LENGTH);
  const view = new DataView(out.buffer);
  view.setInt32(0, scaledCoordinate(location.latitude, 90, 'latitude'));
  view.setInt32(4, scaledCoordinate(location.longitude, 180, 'longitude'));
  out[8] = expectByte(location.accuracy, 'accuracy');
  out[9] = expectByte(location.status, 'status');
  return out;
}

/** Inverse of {@link encodeLocation}. */
export function decodeLocation(plaintext: Uint8Array): Location {
  expectLength(plaintext, LOCATION_LENGTH, 'location');
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, LOCATION_LENGTH);
  return {
    latitude: view.getInt32(0) / COORDINATE_SCALE,
    longitude: view.getInt32(4) / COORDINATE_SCALE,
    accuracy: plaintext[8]!,
    status: plaintext[9]!,
  };
}

function scaledCoordinate(degrees: number, limit: number, what: string): number {
  if (typeof degrees !== 'number' || !Number.isFinite(degrees) || Math.abs(degrees) > limit) {
    throw new FormatError(`${what} must be a number from −${limit} to ${limit}`);
  }
  return Math.round(degrees * COORDINATE_SCALE);
}
