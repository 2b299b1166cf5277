import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  base64ToBytes,
  bytesToHex,
  decodeLocation,
  encodeLocation,
  FormatError,
  generatePrivateKey,
  hexToBytes,
  isUncompressedPoint,
  keyPairOf,
  openReport,
  parseReport,
  nobleP224,
  sealReport,
  x963Kdf,
} from '../../crypto/index.ts';
import { locationReportOf } from '../vectors.ts';
import { vectors } from './vectors.ts';

describe('report vectors', () => {
  for (const v of vectors.reports) {
    const owner = hexToBytes(v.inputs.owner_private_key_hex);

    it(`${v.name}: seals byte for byte with the vector's ephemeral key`, () => {
      const pair = keyPairOf(owner);
      expect(pair.advertisementKey).toEqual(base64ToBytes(v.inputs.owner_adv_key_b64));
      const payload = sealReport(pair.advertisementKey, locationReportOf(v), {
        ephemeralPrivateKey: hexToBytes(v.inputs.ephemeral_private_key_hex),
      });
      expect(bytesToHex(payload)).toBe(v.payload_88_hex);
    });

    it(`${v.name}: reproduces every intermediate value`, () => {
      const eph = hexToBytes(v.intermediate.ephemeral_public_uncompressed_hex);
      const secret = nobleP224.sharedSecrets(owner, [eph])[0]!;
      expect(bytesToHex(secret)).toBe(v.intermediate.ecdh_shared_secret_hex);
      const kdf = x963Kdf(secret, eph, 32);
      expect(bytesToHex(kdf)).toBe(v.intermediate.kdf_output_hex);
      expect(bytesToHex(kdf.subarray(0, 16))).toBe(v.intermediate.aes_key_hex);
      expect(bytesToHex(kdf.subarray(16))).toBe(v.intermediate.gcm_iv_hex);
      expect(bytesToHex(encodeLocation(locationReportOf(v)))).toBe(v.intermediate.plaintext_hex);
      const parsed = parseReport(hexToBytes(v.payload_88_hex));
      expect(bytesToHex(parsed.ciphertext)).toBe(v.intermediate.ciphertext_hex);
      expect(bytesToHex(parsed.tag)).toBe(v.intermediate.tag_hex);
      expect(bytesToHex(parsed.ephemeralPublicKey)).toBe(v.intermediate.ephemeral_public_uncompressed_hex);
    });

    for (const form of ['88', '89'] as const) {
      it(`${v.name}: opens the ${form}-byte payload to the vector's fields`, () => {
        const payload = base64ToBytes(form === '88' ? v.payload_88_b64 : v.payload_89_b64);
        expect(bytesToHex(payload)).toBe(form === '88' ? v.payload_88_hex : v.payload_89_hex);
        const opened = openReport(payload, owner);
        expect(opened.timestamp.getTime()).toBe(v.decrypted.timestamp_unix * 1000);
        expect(opened.confidence).toBe(v.decrypted.confidence);
        expect(opened.latitude).toBe(v.decrypted.latitude);
        expect(opened.longitude).toBe(v.decrypted.longitude);
        expect(Math.round(opened.latitude * 1e7)).toBe(v.decrypted.lat_e7);
        expect(Math.round(opened.longitude * 1e7)).toBe(v.decrypted.lon_e7);
        expect(opened.accuracy).toBe(v.decrypted.horizontal_accuracy);
        expect(opened.status).toBe(v.decrypted.status);
      });
    }
  }

  it('covers negative coordinates and a shared secret with a leading zero byte', () => {
    expect(vectors.reports.some((v) => v.decrypted.latitude < 0 && v.decrypted.longitude < 0)).toBe(true);
    expect(vectors.reports.some((v) => v.intermediate.ecdh_shared_secret_hex.startsWith('00'))).toBe(true);
  });

  it('reads the structure of real-world 89-byte payloads: key at offset 6, confidence at byte 5', () => {
    for (const item of vectors.real_world_payloads.items) {
      const payload = hexToBytes(item.payload_hex);
      expect(payload.length).toBe(item.length);
      const report = parseReport(payload);
      expect(report.timestamp.toISOString().replace('.000', '')).toBe(item.timestamp_iso);
      expect(payload[4]).toBe(item.byte4_extra);
      expect(report.confidence).toBe(item.byte5_confidence);
      expect(isUncompressedPoint(report.ephemeralPublicKey)).toBe(item.ephemeral_key_at_6_on_curve);
      expect(isUncompressedPoint(payload.subarray(5, 62))).toBe(item.bytes_5_to_62_parse_as_point);
      expect(() => openReport(payload, generatePrivateKey())).toThrow(AuthenticationError);
    }
  });
});

const latitude = fc.oneof(fc.constantFrom(-90, 90, 0), fc.double({ min: -90, max: 90, noNaN: true }));
const longitude = fc.oneof(fc.constantFrom(-180, 180, 0), fc.double({ min: -180, max: 180, noNaN: true }));
const report = fc.record({
  timestamp: fc.integer({ min: 978_307_200, max: 978_307_200 + 0xffff_ffff }).map((s) => new Date(s * 1000)),
  confidence: fc.integer({ min: 0, max: 255 }),
  latitude,
  longitude,
  accuracy: fc.oneof(fc.constantFrom(0, 255), fc.integer({ min: 0, max: 255 })),
  status: fc.integer({ min: 0, max: 255 }),
});

describe('seal and open', () => {
  it('round-trips random keys and locations, including the extremes', () => {
    fc.assert(
      fc.property(report, (r) => {
        const owner = keyPairOf(generatePrivateKey());
        const opened = openReport(sealReport(owner.advertisementKey, r), owner.privateKey);
        expect(opened.timestamp).toEqual(r.timestamp);
        expect(opened.confidence).toBe(r.confidence);
        expect(opened.latitude).toBe(Math.round(r.latitude * 1e7) / 1e7 + 0);
        expect(opened.longitude).toBe(Math.round(r.longitude * 1e7) / 1e7 + 0);
        expect(opened.accuracy).toBe(r.accuracy);
        expect(opened.status).toBe(r.status);
      }),
      { numRuns: 40 },
    );
  });

  it('fails with AuthenticationError for every single-bit flip of ephemeral key, ciphertext or tag', () => {
    const v = vectors.reports[0]!;
    const owner = hexToBytes(v.inputs.owner_private_key_hex);
    const open = (payload: Uint8Array) => openReport(payload, owner);
    for (const hex of [v.payload_88_hex, v.payload_89_hex]) {
      const payload = hexToBytes(hex);
      const keyStart = payload.length - 83;
      for (let bit = keyStart * 8; bit < payload.length * 8; bit++) {
        const flipped = payload.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => open(flipped), `bit ${bit}`).toThrow(AuthenticationError);
      }
    }
  });

  it('fails with AuthenticationError under the wrong key', () => {
    const payload = hexToBytes(vectors.reports[1]!.payload_88_hex);
    fc.assert(
      fc.property(fc.constant(null), () => {
        expect(() => openReport(payload, generatePrivateKey())).toThrow(AuthenticationError);
      }),
      { numRuns: 5 },
    );
  });

  it('rejects every payload length other than 88 and 89 with FormatError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).filter((b) => b.length !== 88 && b.length !== 89),
        (bytes) => {
          expect(() => parseReport(bytes)).toThrow(FormatError);
        },
      ),
    );
  });

  it('refuses locations that do not fit the format', () => {
    const owner = keyPairOf(generatePrivateKey());
    const base = { timestamp: new Date(), confidence: 1, latitude: 0, longitude: 0, accuracy: 0, status: 0 };
    for (const bad of [
      { latitude: 90.0001 },
      { longitude: -181 },
      { latitude: Number.NaN },
      { accuracy: 256 },
      { status: -1 },
      { confidence: 1.5 },
      { timestamp: new Date('2000-12-31T23:59:59Z') },
    ]) {
      expect(() => sealReport(owner.advertisementKey, { ...base, ...bad }), JSON.stringify(bad)).toThrow(FormatError);
    }
  });

  it('decodes latitude and longitude as signed int32', () => {
    const plain = hexToBytes('80000000' + '7fffffff' + '0000');
    expect(decodeLocation(plain).latitude).toBe(-214.7483648);
    expect(decodeLocation(plain).longitude).toBe(214.7483647);
  });
});
