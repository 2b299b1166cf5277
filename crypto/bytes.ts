/**
 * Byte helpers shared by every protocol module: strict base64 and hex text, fixed-width
 * big-endian integers, constant lengths checked at the boundary.
 */
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import { FormatError } from './errors.ts';

/** ASCII codes of the 64 base64 digits, in value order. */
const BASE64_DIGITS = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD = 0x3d; // '='
const ASCII = new TextDecoder();

/** Characters of the standard base64 (with padding) of `byteLength` bytes. @example base64Length(32) // 44 */
export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

/**
 * Base64url without padding (RFC 4648 §5): how ids travel in URL paths and fragments.
 * @example bytesToBase64Url(new Uint8Array(16)) // 'AAAAAAAAAAAAAAAAAAAAAA'
 */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * Reads base64url with or without padding; anything else is a {@link FormatError}.
 * @example base64UrlToBytes('AAAAAAAAAAAAAAAAAAAAAA').length // 16
 */
export function base64UrlToBytes(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new FormatError('not base64url');
  const standard = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  return base64ToBytes(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='));
}

/**
 * Writes the standard base64 of `bytes`, as ASCII codes, into `target` at `offset`, and returns
 * the offset after it. Lets a server write thousands of ids and payloads straight into a
 * response body instead of building a string for each.
 * @example const end = writeBase64(new Uint8Array([1, 2, 3]), target, 0) // target[0..4] = 'AQID'
 */
export function writeBase64(bytes: Uint8Array, target: Uint8Array, offset: number): number {
  let at = offset;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3, at += 4) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    target[at] = BASE64_DIGITS[n >> 18]!;
    target[at + 1] = BASE64_DIGITS[(n >> 12) & 63]!;
    target[at + 2] = BASE64_DIGITS[(n >> 6) & 63]!;
    target[at + 3] = BASE64_DIGITS[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    target[at] = BASE64_DIGITS[n >> 18]!;
    target[at + 1] = BASE64_DIGITS[(n >> 12) & 63]!;
    target[at + 2] = i + 1 < bytes.length ? BASE64_DIGITS[(n >> 6) & 63]! : PAD;
    target[at + 3] = PAD;
    at += 4;
  }
  return at;
}

/**
 * Standard base64 with padding (RFC 4648 §4), the form every Find My id and payload uses:
 * {@link writeBase64} into a fresh array, read back as text.
 * @example bytesToBase64(new Uint8Array([1, 2, 3])) // 'AQID'
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const text = new Uint8Array(base64Length(bytes.length));
  writeBase64(bytes, text, 0);
  return ASCII.decode(text);
}

/** Value of each ASCII code as a base64 digit; -1 for every character that is not one. */
const BASE64_VALUES = Int8Array.from({ length: 128 }, (_, code) => BASE64_DIGITS.indexOf(code));

/**
 * Decodes standard base64 strictly: padding required, no whitespace, no URL-safe letters, and
 * no stray bits in the last character, so every byte string has exactly one accepted text.
 * One pass over a lookup table: a server decodes thousands of ids per request.
 * @example base64ToBytes('AQID') // Uint8Array [1, 2, 3]
 */
export function base64ToBytes(text: string): Uint8Array {
  const decoded = decodeBase64(text);
  if (typeof decoded === 'string') throw new FormatError(decoded);
  return decoded;
}

/**
 * {@link base64ToBytes} that answers with the reason instead of throwing it: a server checking
 * thousands of untrusted fields should not pay for an exception, with its stack, per bad one.
 * @example decodeBase64('AR==') // 'invalid base64: non-zero padding bits'
 */
export function decodeBase64(text: string): Uint8Array | string {
  if (text.length % 4 !== 0) return NOT_BASE64;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  const whole = bytes.length - (bytes.length % 3);
  let at = 0;
  // A character that is no digit reads as -1, which makes the whole group negative.
  for (let i = 0; i < whole; i += 3, at += 4) {
    const n =
      (base64Digit(text, at) << 18) |
      (base64Digit(text, at + 1) << 12) |
      (base64Digit(text, at + 2) << 6) |
      base64Digit(text, at + 3);
    if (n < 0) return NOT_BASE64;
    bytes[i] = n >> 16;
    bytes[i + 1] = (n >> 8) & 255;
    bytes[i + 2] = n & 255;
  }
  if (padding > 0) {
    const n =
      (base64Digit(text, at) << 18) |
      (base64Digit(text, at + 1) << 12) |
      (padding === 1 ? base64Digit(text, at + 2) << 6 : 0);
    if (n < 0) return NOT_BASE64;
    // The unused low bits of the last digit must be zero: one text per byte string.
    if ((n & (padding === 1 ? 0xff : 0xffff)) !== 0) return 'invalid base64: non-zero padding bits';
    bytes[whole] = n >> 16;
    if (padding === 1) bytes[whole + 1] = (n >> 8) & 255;
  }
  return bytes;
}

const NOT_BASE64 = 'invalid base64: expected standard base64 with padding';

/** The value of the base64 digit at `at`, or -1 for a character that is none. */
function base64Digit(text: string, at: number): number {
  return BASE64_VALUES[text.charCodeAt(at)] ?? -1;
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
 * Fixed-width big-endian encoding; the protocol never strips leading zeros (docs/protocol.md §10).
 * @example bigIntToBytes(1n, 28) // 27 zero bytes, then 0x01
 */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n || value >> BigInt(length * 8) !== 0n)
    throw new FormatError(`integer does not fit in ${length} bytes`);
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
  if (!Number.isInteger(value) || value < 0 || value > 255)
    throw new FormatError(`${what} must be an integer from 0 to 255`);
  return value;
}
