/**
 * Byte helpers shared by every protocol module: strict base64 and hex text, fixed-width
 * big-endian integers, constant lengths checked at the boundary.
 */
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import { FormatError } from './errors.ts';

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Every 12-bit value as its two base64 characters: half the string joins of a per-character loop. */
const BASE64_PAIRS = Array.from({ length: 4096 }, (_, n) => BASE64_ALPHABET[n >> 6]! + BASE64_ALPHABET[n & 63]!);

/**
 * Standard base64 with padding (RFC 4648 §4), the form every Find My id and payload uses.
 * Pure JS, several times faster than btoa for the short arrays a server encodes by the thousand.
 * @example bytesToBase64(new Uint8Array([1, 2, 3])) // 'AQID'
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64_PAIRS[n >> 12]! + BASE64_PAIRS[n & 4095]!;
  }
  if (bytes.length - i === 1) out += BASE64_PAIRS[bytes[i]! << 4]! + '==';
  else if (bytes.length - i === 2) {
    const n = (bytes[i]! << 8) | bytes[i + 1]!;
    out += BASE64_PAIRS[n >> 4]! + BASE64_ALPHABET[(n & 15) << 2]! + '=';
  }
  return out;
}

/**
 * Decodes standard base64 strictly: padding required, no whitespace, no URL-safe letters, and
 * no stray bits in the last character, so every byte string has exactly one accepted text.
 * @example base64ToBytes('AQID') // Uint8Array [1, 2, 3]
 */
export function base64ToBytes(text: string): Uint8Array {
  if (!STANDARD_BASE64.test(text)) throw new FormatError('invalid base64: expected standard base64 with padding');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // atob ignores the unused low bits of the last character; a canonical text has them zero.
  if (bytes.length > 0 && bytesToBase64(bytes.subarray(bytes.length - (bytes.length % 3 || 3))) !== text.slice(-4)) {
    throw new FormatError('invalid base64: non-zero padding bits');
  }
  return bytes;
}

/** Lowercase hex. @example bytesToHex(new Uint8Array([255])) // 'ff' */
export function bytesToHex(bytes: Uint8Array): string {
  return nobleBytesToHex(bytes);
}

/** Decodes hex text (either case), rejecting odd lengths and non-hex characters. @example hexToBytes('ff') */
export function hexToBytes(text: string): Uint8Array {
  try {
    return nobleHexToBytes(text);
  } catch {
    throw new FormatError('invalid hex text');
  }
}

/** Unsigned big-endian integer of any length. @example bytesToBigInt(new Uint8Array([1, 0])) // 256n */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + nobleBytesToHex(bytes));
}

/**
 * Fixed-width big-endian encoding; the protocol never strips leading zeros (SPEC §10).
 * @example bigIntToBytes(1n, 28) // 27 zero bytes, then 0x01
 */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >> BigInt(length * 8) !== 0n) throw new FormatError(`integer does not fit in ${length} bytes`);
  return nobleHexToBytes(value.toString(16).padStart(length * 2, '0'));
}

/** Throws a {@link FormatError} unless `bytes` is a Uint8Array of exactly `length` bytes. */
export function expectLength(bytes: Uint8Array, length: number, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(`${what} must be a Uint8Array`);
  if (bytes.length !== length) throw new FormatError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** Concatenates byte arrays. @example concatBytes(a, b) */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** True when both arrays hold the same bytes. Not constant-time: compare public values only. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws a {@link FormatError} unless `value` is an integer from 0 to 255; returns it. */
export function expectByte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new FormatError(`${what} must be an integer from 0 to 255`);
  return value;
}
