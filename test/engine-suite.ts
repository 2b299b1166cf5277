/**
 * What every P-224 engine must do, run against the fast engine in Node and in workerd: every
 * vector of docs/vectors.json, then differential properties against the noble
 * reference, edge cases included. Pure: no Node imports, so workerd runs it unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bigIntToBytes,
  bytesToHex,
  CURVE_ORDER,
  FIELD_PRIME,
  FormatError,
  hexToBytes,
  keyPairsOf,
  nobleP224,
  openReport,
  openReports,
  parseReport,
  sealReport,
  type P224Engine,
} from '../crypto/index.ts';
import { locationReportOf, type Vectors } from './vectors.ts';

const scalar = (k: bigint) => bigIntToBytes(k, 28);
const randomScalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n }).map(scalar);
/** Scalars where a windowed multiplication meets its exceptional cases, and the range ends. */
const EDGE_SCALARS = [
  ...Array.from({ length: 64 }, (_, i) => BigInt(i + 1)),
  ...Array.from({ length: 64 }, (_, i) => CURVE_ORDER - BigInt(i + 1)),
  1n << 223n,
  CURVE_ORDER >> 1n,
].map(scalar);
const OUT_OF_RANGE_SCALARS = [0n, CURVE_ORDER, CURVE_ORDER + 1n, (1n << 224n) - 1n].map(scalar);

function messageOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the call to throw');
}

export function engineSuite(name: string, engine: P224Engine, vectors: Vectors): void {
  describe(`${name}: vectors`, () => {
    it('derives the public key, advertisement key and hashed id of every key vector', () => {
      const pairs = keyPairsOf(
        vectors.keys.map((v) => hexToBytes(v.private_key_hex)),
        engine,
      );
      pairs.forEach((pair, i) => {
        const v = vectors.keys[i]!;
        expect(bytesToHex(pair.publicKey)).toBe(v.public_uncompressed_hex);
        expect(bytesToHex(pair.advertisementKey)).toBe(v.adv_key_hex);
        expect(bytesToHex(pair.hashedId)).toBe(v.hashed_adv_key_hex);
      });
    });

    it('derives every rolling key of chains A and B', () => {
      const { chain_A_upstream: a, chain_B: b } = vectors.rolling_keys;
      const keys = [...a.keys, ...b.primary, ...b.secondary];
      const pairs = keyPairsOf(
        keys.map((k) => hexToBytes(k.private_key_hex)),
        engine,
      );
      expect(pairs.map((p) => bytesToHex(p.advertisementKey))).toEqual(keys.map((k) => k.adv_key_hex));
      expect(bytesToHex(engine.publicKeys([hexToBytes(b.master_private_key_hex)])[0]!)).toBe(
        b.master_public_uncompressed_hex,
      );
    });

    it('reproduces the ECDH secret of every report vector, and opens and seals each', () => {
      for (const v of vectors.reports) {
        const owner = hexToBytes(v.inputs.owner_private_key_hex);
        const ephemeral = hexToBytes(v.intermediate.ephemeral_public_uncompressed_hex);
        expect(bytesToHex(engine.sharedSecrets(owner, [ephemeral])[0]!)).toBe(v.intermediate.ecdh_shared_secret_hex);
        for (const payload of [v.payload_88_b64, v.payload_89_b64]) {
          const opened = openReport(base64ToBytes(payload), owner, engine);
          expect(opened.latitude).toBe(v.decrypted.latitude);
          expect(opened.longitude).toBe(v.decrypted.longitude);
          expect(opened.timestamp.getTime()).toBe(v.decrypted.timestamp_unix * 1000);
          expect(opened.accuracy).toBe(v.decrypted.horizontal_accuracy);
        }
        const advertisementKey = base64ToBytes(v.inputs.owner_adv_key_b64);
        const sealed = sealReport(advertisementKey, locationReportOf(v), {
          ephemeralPrivateKey: hexToBytes(v.inputs.ephemeral_private_key_hex),
          engine,
        });
        expect(bytesToHex(sealed)).toBe(v.payload_88_hex);
      }
    });

    it('opens a batch of vector reports in one call, with null for those sealed to another key or cut short', () => {
      const v = vectors.reports[0]!;
      const other = vectors.reports.find((r) => r.inputs.owner_private_key_hex !== v.inputs.owner_private_key_hex)!;
      const payloads = [v.payload_88_hex, other.payload_88_hex, v.payload_89_hex, v.payload_88_hex.slice(0, 100)].map(
        hexToBytes,
      );
      const opened = openReports(payloads, hexToBytes(v.inputs.owner_private_key_hex), engine);
      expect(opened.map((r) => r?.latitude ?? null)).toEqual([v.decrypted.latitude, null, v.decrypted.latitude, null]);
    });

    it('tells on-curve ephemeral keys of real-world payloads from bytes that are not points', () => {
      for (const item of vectors.real_world_payloads.items) {
        const payload = hexToBytes(item.payload_hex);
        expect(engine.isUncompressedPoint(parseReport(payload).ephemeralPublicKey)).toBe(
          item.ephemeral_key_at_6_on_curve,
        );
        expect(engine.isUncompressedPoint(payload.subarray(5, 62))).toBe(item.bytes_5_to_62_parse_as_point);
      }
    });
  });

  describe(`${name}: against the noble reference`, () => {
    const points = nobleP224.publicKeys([1n, 2n, 3n, CURVE_ORDER - 1n].map(scalar)); // G, 2G, 3G, −G
    // Points whose x or y starts with a zero byte: found among many keys by the engine, checked by noble.
    const manyKeys = Array.from({ length: 3000 }, (_, i) => scalar(BigInt(i) * 0x1_0000_0001n + 7n));
    const zeroLedKeys = engine
      .publicKeys(manyKeys)
      .flatMap((p, i) => (p[1] === 0 || p[29] === 0 ? [manyKeys[i]!] : []))
      .slice(0, 6);
    const zeroLed = nobleP224.publicKeys(zeroLedKeys);

    it('finds points with leading-zero coordinates to test with', () => {
      expect(zeroLed.some((p) => p[1] === 0)).toBe(true);
      expect(zeroLed.some((p) => p[29] === 0)).toBe(true);
      expect(engine.publicKeys(zeroLedKeys)).toEqual(zeroLed);
    });

    it('gives the same public keys for random scalars and the edge scalars', () => {
      expect(engine.publicKeys(EDGE_SCALARS)).toEqual(nobleP224.publicKeys(EDGE_SCALARS));
      fc.assert(
        fc.property(fc.array(randomScalar, { minLength: 1, maxLength: 8 }), (keys) => {
          expect(engine.publicKeys(keys)).toEqual(nobleP224.publicKeys(keys));
        }),
        { numRuns: 30 },
      );
    });

    it('gives the same shared secrets for the edge scalars on G, −G and leading-zero points', () => {
      const peers = [points[0]!, points[3]!, ...zeroLed.slice(0, 2)];
      for (const k of EDGE_SCALARS)
        expect(engine.sharedSecrets(k, peers), bytesToHex(k)).toEqual(nobleP224.sharedSecrets(k, peers));
    });

    it('gives the same shared secrets for random scalars and random points', () => {
      fc.assert(
        fc.property(randomScalar, fc.array(randomScalar, { minLength: 1, maxLength: 4 }), (d, peerKeys) => {
          const peers = nobleP224.publicKeys(peerKeys);
          expect(engine.sharedSecrets(d, peers)).toEqual(nobleP224.sharedSecrets(d, peers));
        }),
        { numRuns: 25 },
      );
    });

    it('splits batches larger than the module holds and keeps their order', () => {
      const keys = Array.from({ length: 600 }, (_, i) => scalar(BigInt(i) * 0xdead_beefn + 1n));
      const publicKeys = engine.publicKeys(keys);
      expect(publicKeys.length).toBe(600);
      for (const i of [0, 255, 256, 511, 512, 599]) expect(publicKeys[i]).toEqual(nobleP224.publicKeys([keys[i]!])[0]);
      const secrets = engine.sharedSecrets(keys[1]!, publicKeys);
      for (const i of [0, 255, 256, 599])
        expect(secrets[i]).toEqual(nobleP224.sharedSecrets(keys[1]!, [publicKeys[i]!])[0]);
    });

    it('rejects peers that are not points: off the curve, infinity, coordinates ≥ p, wrong encodings', () => {
      const good = points[1]!;
      const offCurve = good.slice();
      offCurve[56]! ^= 1;
      const infinity = new Uint8Array(57);
      infinity[0] = 0x04;
      const xIsP = good.slice();
      xIsP.set(bigIntToBytes(FIELD_PRIME, 28), 1);
      const yAboveP = good.slice();
      yAboveP.set(bigIntToBytes((1n << 224n) - 1n, 28), 29);
      const compressed = good.slice(0, 29);
      compressed[0] = 0x02;
      const prefixed = good.slice();
      prefixed[0] = 0x06;
      const bad = [offCurve, infinity, xIsP, yAboveP, compressed, prefixed, good.slice(0, 56), new Uint8Array(0)];
      for (const peer of bad) expect(engine.isUncompressedPoint(peer), bytesToHex(peer)).toBe(false);
      expect(engine.sharedSecrets(scalar(5n), [good, ...bad, good])).toEqual(
        nobleP224.sharedSecrets(scalar(5n), [good, ...bad, good]),
      );
      expect(engine.sharedSecrets(scalar(5n), bad).every((s) => s === null)).toBe(true);
    });

    it('agrees with the reference on random 57-byte strings and on points with a flipped bit', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 56, maxLength: 56 }),
          fc.integer({ min: 0, max: 56 * 8 - 1 }),
          (bytes, bit) => {
            const random = Uint8Array.of(0x04, ...bytes);
            expect(engine.isUncompressedPoint(random)).toBe(nobleP224.isUncompressedPoint(random));
            const flipped = points[2]!.slice();
            flipped[1 + (bit >> 3)]! ^= 1 << (bit & 7);
            expect(engine.isUncompressedPoint(flipped)).toBe(nobleP224.isUncompressedPoint(flipped));
          },
        ),
        { numRuns: 200 },
      );
    });

    it('refuses private keys outside [1, n − 1] and of the wrong length with FormatError, as the reference does', () => {
      for (const k of [...OUT_OF_RANGE_SCALARS, new Uint8Array(27), new Uint8Array(29).fill(1)]) {
        for (const call of [
          (e: P224Engine) => e.publicKeys([scalar(1n), k]),
          (e: P224Engine) => e.sharedSecrets(k, points),
          (e: P224Engine) => e.sharedSecrets(k, []),
        ]) {
          expect(() => call(engine), bytesToHex(k)).toThrow(FormatError);
          expect(() => call(engine), bytesToHex(k)).toThrow(messageOf(() => call(nobleP224)));
        }
      }
      expect(engine.sharedSecrets(scalar(1n), [])).toEqual([]);
      expect(engine.publicKeys([])).toEqual([]);
    });

    it('seals reports the reference opens, and opens reports the reference sealed', () => {
      const [owner] = keyPairsOf([scalar(0x1234_5678_9abcn)], engine);
      const report = {
        timestamp: new Date('2026-01-01T00:00:00Z'),
        confidence: 2,
        latitude: -33.8688,
        longitude: 151.2093,
        accuracy: 12,
        status: 0x20,
      };
      const byEngine = sealReport(owner!.advertisementKey, report, { engine });
      expect(openReport(byEngine, owner!.privateKey, nobleP224)).toEqual(report);
      const byReference = sealReport(owner!.advertisementKey, report);
      expect(openReport(byReference, owner!.privateKey, engine)).toEqual(report);
    });
  });
}
