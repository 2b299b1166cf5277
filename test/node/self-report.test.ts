import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  generatePrivateKey,
  hexToBytes,
  keyPairOf,
  openReport,
  sealReport,
  sealSelfReport,
  isSelfReport,
  selfReportEphemeralKey,
  type LocationReport,
} from '../../crypto/index.ts';
import { vectors } from './vectors.ts';

describe('self-report vectors (computed with Python cryptography/OpenSSL)', () => {
  for (const v of vectors.self_reports) {
    const privateKey = hexToBytes(v.inputs.private_key_hex);
    const report: LocationReport = {
      timestamp: new Date(v.inputs.timestamp_unix * 1000),
      confidence: v.inputs.confidence,
      latitude: v.inputs.latitude,
      longitude: v.inputs.longitude,
      accuracy: v.inputs.accuracy,
      status: v.inputs.status,
    };

    it(`${v.name}: derives the ephemeral key and seals byte for byte`, () => {
      expect(bytesToHex(selfReportEphemeralKey(privateKey, report))).toBe(v.intermediate.ephemeral_private_key_hex);
      expect(bytesToHex(sealSelfReport(privateKey, report))).toBe(v.payload_88_hex);
    });

    it(`${v.name}: opens as an ordinary report and is recognised as the device's own`, () => {
      const payload = hexToBytes(v.payload_88_hex);
      const opened = openReport(payload, privateKey);
      expect([opened.latitude, opened.longitude]).toEqual([v.inputs.latitude, v.inputs.longitude]);
      expect(isSelfReport(privateKey, payload, opened)).toBe(true);
    });
  }
});

describe('self-reports', () => {
  const owner = generatePrivateKey();
  const report: LocationReport = {
    timestamp: new Date(1_767_225_600_000),
    confidence: 3,
    latitude: 48.1,
    longitude: 11.5,
    accuracy: 10,
    status: 0,
  };

  it('a finder’s report of the same place and time is not marked as the device’s own', () => {
    const payload = sealReport(keyPairOf(owner).advertisementKey, report);
    expect(isSelfReport(owner, payload, openReport(payload, owner))).toBe(false);
  });

  it('two different positions in the same second never share an ephemeral key (nor AES key and IV)', () => {
    const a = sealSelfReport(owner, report);
    const b = sealSelfReport(owner, { ...report, latitude: 48.2 });
    expect(bytesToHex(a.subarray(5, 62))).not.toBe(bytesToHex(b.subarray(5, 62)));
    expect(bytesToHex(sealSelfReport(owner, report))).toBe(bytesToHex(a));
  });
});
