/**
 * NIST P-224 (secp224r1), the curve of every Find My key (docs/protocol.md §1.1), and its point encodings
 * (docs/protocol.md §1.3). noble ships no P-224 preset, so the curve is built from the FIPS 186-4 constants.
 */
import { weierstrass, type WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { bigIntToBytes, bytesToBigInt, expectLength } from './bytes.ts';
import { FormatError } from './errors.ts';

/** Bytes in a field element, a scalar, an x coordinate and an advertisement key. */
export const FIELD_LENGTH = 28;
/** `04 ‖ X ‖ Y`: the finder's ephemeral key inside a report. */
export const UNCOMPRESSED_POINT_LENGTH = 57;
/** `02/03 ‖ X`: OpenHaystack's firmware key export. */
export const COMPRESSED_POINT_LENGTH = 29;

/** p = 2²²⁴ − 2⁹⁶ + 1. */
export const FIELD_PRIME = 2n ** 224n - 2n ** 96n + 1n;
/** n, the order of G; private keys are scalars in [1, n − 1]. */
export const CURVE_ORDER = 0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3dn;

/** Point constructor over P-224 (noble's projective Weierstrass points). */
export const P224 = weierstrass({
  p: FIELD_PRIME,
  n: CURVE_ORDER,
  h: 1n,
  a: FIELD_PRIME - 3n,
  b: 0xb4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4n,
  Gx: 0xb70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21n,
  Gy: 0xbd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34n,
});

export type Point = WeierstrassPoint<bigint>;

/**
 * Decodes and validates an untrusted point (uncompressed or compressed): on the curve, not the
 * point at infinity. Anything else is a {@link FormatError}.
 * @example pointFromBytes(report.ephemeralPublicKey)
 */
export function pointFromBytes(bytes: Uint8Array): Point {
  if (bytes.length !== UNCOMPRESSED_POINT_LENGTH && bytes.length !== COMPRESSED_POINT_LENGTH) {
    throw new FormatError(
      `a P-224 point is ${UNCOMPRESSED_POINT_LENGTH} or ${COMPRESSED_POINT_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  try {
    return P224.fromBytes(bytes);
  } catch {
    throw new FormatError('not a point on P-224');
  }
}

/**
 * True when `bytes` is a 57-byte uncompressed point on P-224: the check a server applies to
 * the ephemeral key of every uploaded report.
 * @example isUncompressedPoint(payload.subarray(5, 62))
 */
export function isUncompressedPoint(bytes: Uint8Array): boolean {
  if (bytes.length !== UNCOMPRESSED_POINT_LENGTH || bytes[0] !== 0x04) return false;
  try {
    P224.fromBytes(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lifts a 28-byte x coordinate (an advertisement key) to a curve point. Either Y is correct for
 * ECDH, since x(k·P) = x(k·(−P)) (docs/protocol.md §1.3); the even one is returned.
 * @example liftX(advertisementKey).toBytes(false) // 57 bytes
 */
export function liftX(x: Uint8Array): Point {
  expectLength(x, FIELD_LENGTH, 'advertisement key');
  if (bytesToBigInt(x) >= FIELD_PRIME) throw new FormatError('advertisement key is not a field element');
  const compressed = new Uint8Array(COMPRESSED_POINT_LENGTH);
  compressed[0] = 0x02;
  compressed.set(x, 1);
  try {
    return P224.fromBytes(compressed);
  } catch {
    throw new FormatError('advertisement key is not the x coordinate of a P-224 point');
  }
}

/** The 28-byte big-endian affine x coordinate of a point. */
export function xCoordinate(point: Point): Uint8Array {
  return bigIntToBytes(point.x, FIELD_LENGTH);
}

/**
 * Reads a 28-byte big-endian scalar and checks 1 ≤ d < n.
 * @example scalarFromBytes(privateKey) // bigint
 */
export function scalarFromBytes(bytes: Uint8Array): bigint {
  expectLength(bytes, FIELD_LENGTH, 'private key');
  const d = bytesToBigInt(bytes);
  if (d === 0n || d >= CURVE_ORDER) throw scalarOutOfRange();
  return d;
}

/** The 28-byte big-endian form of a scalar in [1, n − 1]. */
export function scalarToBytes(d: bigint): Uint8Array {
  if (d <= 0n || d >= CURVE_ORDER) throw scalarOutOfRange();
  return bigIntToBytes(d, FIELD_LENGTH);
}

/** The error for a private key outside [1, n − 1], whichever engine finds it. */
export function scalarOutOfRange(): FormatError {
  return new FormatError('private key is out of range: it must be between 1 and n − 1');
}
