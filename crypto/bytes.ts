/**
 * Byte helpers shared by every protocol module: strict base64 and hex text, fixed-width
 * big-endian integers, constant lengths checked at the boundary.
 */
import { bytesToHex as nobleBytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import { FormatError } from './errors.ts';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < BASE64_ALPHABET.length; i++) BASE64_VALUES[BASE64_ALPHABET.charCodeAt(i)] = i;

/**
 * Standard base64 with padding (RFC 4648 §4), the form every Find My id and payload uses.
 * @example bytesToBase64(new Uint8Array([1, 2, 3])) // 'AQID'
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]! + BASE64_ALPHABET[(n >> 6) & 63]! + BASE64_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]! + BASE64_ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes standard base64 strictly: padding required, no whitespace, no URL-safe letters, and
 * no stray bits in the last character, so every byte string has exactly one accepted text.
 * @example base64ToBytes('AQID') // Uint8Array [1, 2, 3]
 */
export function base64ToBytes(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new FormatError('base64 text length must be a multiple of 4');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let pending = 0;
  let pendingBits = 0;
  let o = 0;
  for (let i = 0; i < text.length - padding; i++) {
    pending = (pending << 6) | base64Value(text, i);
    pendingBits += 6;
    if (pendingBits >= 8) {
      pendingBits -= 8;
      out[o++] = pending >> pendingBits;
      pending &= (1 << pendingBits) - 1;
    }
  }
  if (pending !== 0) throw new FormatError('base64 text has non-zero padding bits');
  return out;
}

function base64Value(text: string, i: number): number {
  const code = text.charCodeAt(i);
  const value = code < 128 ? BASE64_VALUES[code]! : -1;
  if (value < 0) throw new FormatError(`invalid base64 character at position ${i}`);
  return value;
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
