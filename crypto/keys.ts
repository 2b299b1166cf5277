/**
 * Private keys, their public forms and the hashed id the server indexes reports by
 * (docs/protocol.md §1.2, §1.3, §1.5). Everything here takes and returns fixed-length Uint8Arrays.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64ToBytes, bytesToBase64, bytesToBigInt, decodeBase64, equalBytes, hexToBytes } from './bytes.ts';
import { nobleP224, type P224Engine } from './engine.ts';
import { FormatError } from './errors.ts';
import { CURVE_ORDER, FIELD_LENGTH, UNCOMPRESSED_POINT_LENGTH, scalarFromBytes, scalarToBytes } from './p224.ts';

/** A canonical private key: a 28-byte big-endian scalar in [1, n − 1]. */
export const PRIVATE_KEY_LENGTH = FIELD_LENGTH;
/** The 28-byte x coordinate an accessory broadcasts (the user-facing "public key"). */
export const ADVERTISEMENT_KEY_LENGTH = FIELD_LENGTH;
/** Apple's key blob: `04 ‖ X ‖ Y ‖ d` (OwnedBeacons plists, OpenHaystack `sampleKeys.plist`). */
export const APPLE_PRIVATE_KEY_LENGTH = UNCOMPRESSED_POINT_LENGTH + PRIVATE_KEY_LENGTH;
/** SHA-256 of the advertisement key: the id reports are stored and fetched by. */
export const HASHED_ID_LENGTH = 32;

/** A private key with every public value derived from it once. */
export interface KeyPair {
  /** 28-byte scalar. */
  readonly privateKey: Uint8Array;
  /** 57-byte uncompressed point `04 ‖ X ‖ Y`. */
  readonly publicKey: Uint8Array;
  /** 28-byte x coordinate, broadcast over Bluetooth. */
  readonly advertisementKey: Uint8Array;
  /** 32-byte SHA-256 of the advertisement key. */
  readonly hashedId: Uint8Array;
}

/**
 * A fresh random private key from the platform's CSPRNG.
 * @example const d = generatePrivateKey(); // 28 bytes
 */
export function generatePrivateKey(): Uint8Array {
  // 64 random bits beyond the scalar length make the bias of the reduction negligible (FIPS 186-5 A.2.1).
  const wide = randomBytes(PRIVATE_KEY_LENGTH + 8);
  const d = (bytesToBigInt(wide) % (CURVE_ORDER - 1n)) + 1n;
  return scalarToBytes(d);
}

/**
 * Reads a private key from raw bytes in any form found in the wild: 28 bytes, a shorter
 * big-endian scalar (OpenHaystack and macless drop leading zeros), or Apple's 85-byte blob,
 * whose embedded public key must match. Always returns the canonical 28 bytes.
 * @example parsePrivateKey(base64ToBytes('KioqKioqKioqKioqKioqKioqKioqKioqKioqKg=='))
 */
export function parsePrivateKey(bytes: Uint8Array): Uint8Array {
  if (bytes.length === APPLE_PRIVATE_KEY_LENGTH) {
    if (bytes[0] !== 0x04) throw new FormatError('an 85-byte Apple private key must start with 0x04');
    const privateKey = bytes.slice(UNCOMPRESSED_POINT_LENGTH);
    if (!equalBytes(publicKeyOf(privateKey), bytes.subarray(0, UNCOMPRESSED_POINT_LENGTH))) {
      throw new FormatError('the public key inside the 85-byte Apple private key does not match its scalar');
    }
    return privateKey;
  }
  if (bytes.length === 0 || bytes.length > PRIVATE_KEY_LENGTH) {
    throw new FormatError(
      `a private key is 1 to ${PRIVATE_KEY_LENGTH} bytes or ${APPLE_PRIVATE_KEY_LENGTH} bytes (Apple's form), got ${bytes.length}`,
    );
  }
  const padded = new Uint8Array(PRIVATE_KEY_LENGTH);
  padded.set(bytes, PRIVATE_KEY_LENGTH - bytes.length);
  scalarFromBytes(padded);
  return padded;
}

/**
 * Reads a private key written as standard base64 or hex (surrounding whitespace ignored).
 * @example parsePrivateKeyText('2a2a…2a') // 28 bytes
 */
export function parsePrivateKeyText(text: string): Uint8Array {
  const trimmed = text.trim();
  const isHex = /^(?:[0-9a-fA-F]{2})+$/.test(trimmed) && trimmed.length !== 40;
  let bytes: Uint8Array;
  try {
    bytes = isHex ? hexToBytes(trimmed) : base64ToBytes(trimmed);
  } catch {
    throw new FormatError('a private key must be base64 or hex text');
  }
  return parsePrivateKey(bytes);
}

/**
 * The 57-byte uncompressed public key d·G.
 * @example publicKeyOf(privateKey)[0] // 0x04
 */
export function publicKeyOf(privateKey: Uint8Array, engine: P224Engine = nobleP224): Uint8Array {
  return engine.publicKeys([privateKey])[0]!;
}

/**
 * The 29-byte compressed form `02/03 ‖ X` of a 57-byte public key (OpenHaystack firmware export).
 * @example compressPublicKey(publicKeyOf(d)).length // 29
 */
export function compressPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== UNCOMPRESSED_POINT_LENGTH || publicKey[0] !== 0x04) {
    throw new FormatError(`an uncompressed public key is ${UNCOMPRESSED_POINT_LENGTH} bytes starting with 0x04`);
  }
  const compressed = publicKey.slice(0, FIELD_LENGTH + 1);
  compressed[0] = (publicKey[UNCOMPRESSED_POINT_LENGTH - 1]! & 1) === 0 ? 0x02 : 0x03;
  return compressed;
}

/**
 * The 28-byte x coordinate of a public key (57 or 29 bytes): what an accessory broadcasts.
 * @example advertisementKeyOf(publicKeyOf(d))
 */
export function advertisementKeyOf(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length === UNCOMPRESSED_POINT_LENGTH || publicKey.length === FIELD_LENGTH + 1) {
    return publicKey.slice(1, FIELD_LENGTH + 1);
  }
  throw new FormatError(
    `a public key is ${UNCOMPRESSED_POINT_LENGTH} or ${FIELD_LENGTH + 1} bytes, got ${publicKey.length}`,
  );
}

/**
 * SHA-256 of the 28-byte advertisement key (never of the 57-byte point; docs/protocol.md §1.5 pitfall).
 * @example bytesToBase64(hashedIdOf(advertisementKey)) // 44 characters
 */
export function hashedIdOf(advertisementKey: Uint8Array): Uint8Array {
  if (advertisementKey.length !== ADVERTISEMENT_KEY_LENGTH) {
    throw new FormatError(`an advertisement key is ${ADVERTISEMENT_KEY_LENGTH} bytes, got ${advertisementKey.length}`);
  }
  return sha256(advertisementKey);
}

/** The standard-base64 hashed id used on the wire. @example hashedIdBase64(advertisementKey) */
export function hashedIdBase64(advertisementKey: Uint8Array): string {
  return bytesToBase64(hashedIdOf(advertisementKey));
}

/**
 * A hashed id from its wire form, standard base64 of 32 bytes; anything else is a
 * {@link FormatError} that says what is wrong.
 * @example parseHashedId('HjdLJu9y/3OxDidx8HYz53wA4K3+X0bHMcGiDVtw9oE=').length // 32
 */
export function parseHashedId(text: string): Uint8Array {
  const decoded = decodeHashedId(text);
  if (typeof decoded === 'string') throw new FormatError(decoded);
  return decoded;
}

/**
 * {@link parseHashedId} that answers with the reason instead of throwing it (see decodeBase64).
 * @example decodeHashedId('AAAA') // 'a hashed id must be 32 bytes, got 3'
 */
export function decodeHashedId(text: string): Uint8Array | string {
  const bytes = decodeBase64(text);
  if (typeof bytes === 'string' || bytes.length === HASHED_ID_LENGTH) return bytes;
  return `a hashed id must be ${HASHED_ID_LENGTH} bytes, got ${bytes.length}`;
}

/**
 * Derives every public value of a private key.
 * @example const { advertisementKey, hashedId } = keyPairOf(parsePrivateKeyText(text));
 */
export function keyPairOf(privateKey: Uint8Array, engine: P224Engine = nobleP224): KeyPair {
  return keyPairsOf([privateKey], engine)[0]!;
}

/**
 * {@link keyPairOf} for many keys at once, in one engine call that shares one field inversion
 * across the batch (Montgomery's trick): the owner's path for a week of rolling keys.
 * @example keyPairsOf(privateKeys, engine).map((k) => k.hashedId)
 */
export function keyPairsOf(privateKeys: readonly Uint8Array[], engine: P224Engine = nobleP224): KeyPair[] {
  return engine.publicKeys(privateKeys).map((publicKey, i) => {
    const advertisementKey = advertisementKeyOf(publicKey);
    return { privateKey: privateKeys[i]!, publicKey, advertisementKey, hashedId: hashedIdOf(advertisementKey) };
  });
}
