import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advertisementKeyOf,
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  compressPublicKey,
  CURVE_ORDER,
  FormatError,
  generatePrivateKey,
  hashedIdBase64,
  hashedIdOf,
  hexToBytes,
  isUncompressedPoint,
  keyPairOf,
  keyPairsOf,
  liftX,
  parsePrivateKey,
  parsePrivateKeyText,
  pointFromBytes,
  publicKeyOf,
  scalarToBytes,
} from '../../crypto/index.ts';
import { vectors } from './vectors.ts';

describe('key vectors', () => {
  for (const v of vectors.keys) {
    it(`reproduces every public value of ${v.label}`, () => {
      const privateKey = parsePrivateKeyText(v.private_key_hex);
      expect(bytesToBase64(privateKey)).toBe(v.private_key_b64);
      const pair = keyPairOf(privateKey);
      expect(bytesToHex(pair.publicKey)).toBe(v.public_uncompressed_hex);
      expect(bytesToHex(compressPublicKey(pair.publicKey))).toBe(v.public_compressed_hex);
      expect(bytesToHex(pair.advertisementKey)).toBe(v.adv_key_hex);
      expect(bytesToBase64(pair.advertisementKey)).toBe(v.adv_key_b64);
      expect(bytesToHex(pair.hashedId)).toBe(v.hashed_adv_key_hex);
      expect(hashedIdBase64(pair.advertisementKey)).toBe(v.hashed_adv_key_b64);
      expect(bytesToBase64(createHash('sha256').update(pair.publicKey).digest())).toBe(
        v.sha256_of_uncompressed_b64_NOT_the_id,
      );
      expect(bytesToBase64(pair.hashedId)).not.toBe(v.sha256_of_uncompressed_b64_NOT_the_id);
    });

    it(`reads ${v.label} in base64, hex and Apple's 85-byte form alike`, () => {
      const canonical = hexToBytes(v.private_key_hex);
      expect(parsePrivateKeyText(v.private_key_b64)).toEqual(canonical);
      expect(parsePrivateKeyText(` ${v.private_key_hex.toUpperCase()}\n`)).toEqual(canonical);
      expect(parsePrivateKey(hexToBytes(v.private_key_apple85_hex))).toEqual(canonical);
      expect(bytesToHex(publicKeyOf(canonical))).toBe(v.private_key_apple85_hex.slice(0, 114));
    });

    it(`lifts the advertisement key of ${v.label} to a point with the same x`, () => {
      const lifted = liftX(hexToBytes(v.adv_key_hex)).toBytes(false);
      expect(advertisementKeyOf(lifted)).toEqual(hexToBytes(v.adv_key_hex));
      expect(isUncompressedPoint(lifted)).toBe(true);
    });
  }

  it('reproduces OpenHaystack sampleKeys.plist keys and the offline-finding hash', () => {
    const sampled = vectors.upstream_key_vectors.filter((v) => v.privateKey_85_hex);
    expect(sampled.length).toBe(3);
    for (const v of sampled) {
      const pair = keyPairOf(parsePrivateKey(hexToBytes(v.privateKey_85_hex!)));
      expect(bytesToBase64(pair.advertisementKey)).toBe(v.advertisedKey_b64);
      expect(bytesToBase64(pair.hashedId)).toBe(v.hashedKey_b64);
    }
    const rust = vectors.upstream_key_vectors.find((v) => v.expected_hashed_adv_key_b64)!;
    expect(bytesToBase64(hashedIdOf(base64ToBytes(rust.adv_key_b64!)))).toBe(rust.expected_hashed_adv_key_b64);
  });
});

describe('private key formats', () => {
  it('left-pads shorter big-endian scalars, as OpenHaystack and macless write them', () => {
    fc.assert(
      fc.property(fc.bigInt(1n, CURVE_ORDER - 1n), fc.integer({ min: 0, max: 27 }), (d, shift) => {
        const scalar = d >> BigInt(shift * 8) || 1n;
        const minimal = hexToBytes(scalar.toString(16).padStart(Math.ceil(scalar.toString(16).length / 2) * 2, '0'));
        expect(parsePrivateKey(minimal)).toEqual(scalarToBytes(scalar));
      }),
    );
  });

  it('rejects out-of-range scalars with a clear error', () => {
    expect(() => parsePrivateKey(new Uint8Array(28))).toThrow(/out of range/);
    expect(() => parsePrivateKey(hexToBytes(CURVE_ORDER.toString(16)))).toThrow(FormatError);
    expect(() => parsePrivateKey(new Uint8Array(28).fill(0xff))).toThrow(/out of range/);
    expect(bytesToHex(parsePrivateKey(scalarToBytes(CURVE_ORDER - 1n)))).toBe((CURVE_ORDER - 1n).toString(16));
  });

  it('rejects wrong lengths and an 85-byte blob whose public key does not match', () => {
    expect(() => parsePrivateKey(new Uint8Array(0))).toThrow(FormatError);
    expect(() => parsePrivateKey(new Uint8Array(29).fill(1))).toThrow(/1 to 28 bytes or 85/);
    const blob = hexToBytes(vectors.keys[0]!.private_key_apple85_hex);
    blob[10]! ^= 1;
    expect(() => parsePrivateKey(blob)).toThrow(/does not match/);
    expect(() => parsePrivateKeyText('not a key!')).toThrow(/base64 or hex/);
  });

  it('generates keys in range that derive consistently', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const d = generatePrivateKey();
        expect(d.length).toBe(28);
        expect(keyPairOf(d).publicKey).toEqual(publicKeyOf(d));
      }),
      { numRuns: 20 },
    );
  });

  it('derives a batch exactly as one key at a time', () => {
    const keys = Array.from({ length: 5 }, generatePrivateKey);
    expect(keyPairsOf(keys)).toEqual(keys.map((d) => keyPairOf(d)));
  });
});

describe('points', () => {
  it('validates untrusted points: off-curve, infinity and wrong encodings are rejected', () => {
    const good = hexToBytes(vectors.keys[0]!.public_uncompressed_hex);
    expect(isUncompressedPoint(good)).toBe(true);
    const offCurve = good.slice();
    offCurve[56]! ^= 1;
    expect(isUncompressedPoint(offCurve)).toBe(false);
    expect(() => pointFromBytes(offCurve)).toThrow(FormatError);
    expect(isUncompressedPoint(hexToBytes(vectors.keys[0]!.public_compressed_hex))).toBe(false);
    expect(isUncompressedPoint(Uint8Array.of(0))).toBe(false);
    const prefixed = good.slice();
    prefixed[0] = 0x06;
    expect(isUncompressedPoint(prefixed)).toBe(false);
  });

  it('accepts either Y for an advertisement key: the negated point gives the same x', () => {
    const lifted = liftX(hexToBytes(vectors.keys[1]!.adv_key_hex));
    expect(lifted.negate().toBytes(false).subarray(1, 29)).toEqual(lifted.toBytes(false).subarray(1, 29));
  });

  it('rejects an x that is not on the curve', () => {
    let x = 1n;
    for (; ; x++) {
      try {
        liftX(hexToBytes(x.toString(16).padStart(56, '0')));
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        break;
      }
    }
  });
});

describe('base64', () => {
  it('round-trips any bytes through the standard alphabet, like Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64ToBytes(text)).toEqual(bytes);
      }),
    );
  });

  it('rejects missing padding, URL-safe letters, whitespace and stray padding bits', () => {
    for (const bad of ['AQI', 'AQ=', 'A-8=', 'AQ I', 'AR==', 'AQJ=', '====', 'A===', 'AQ==AQ==']) {
      expect(() => base64ToBytes(bad), bad).toThrow(FormatError);
    }
  });
});
