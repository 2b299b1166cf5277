import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  bytesToHex,
  FormatError,
  generatePrivateKey,
  hexToBytes,
  keyPairOf,
  portableKeyAgreement,
  reportOpener,
  sealReport,
} from '../../crypto/index.ts';
import { nodeKeyAgreement } from '../../src/node-key-agreement.ts';
import { vectors } from './vectors.ts';

describe('node:crypto engine', () => {
  it('reproduces the shared secret of every report vector, the leading-zero one included', () => {
    for (const v of vectors.reports) {
      const secret = nodeKeyAgreement(hexToBytes(v.inputs.owner_private_key_hex))(hexToBytes(v.intermediate.ephemeral_public_uncompressed_hex));
      expect(bytesToHex(secret)).toBe(v.intermediate.ecdh_shared_secret_hex);
    }
  });

  it('opens every vector payload to the same fields as the portable engine', () => {
    for (const v of vectors.reports) {
      const owner = hexToBytes(v.inputs.owner_private_key_hex);
      for (const hex of [v.payload_88_hex, v.payload_89_hex]) {
        expect(reportOpener(owner, nodeKeyAgreement)(hexToBytes(hex))).toEqual(reportOpener(owner)(hexToBytes(hex)));
      }
    }
  });

  it('agrees with the portable engine on random keys', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const owner = generatePrivateKey();
        const peer = keyPairOf(generatePrivateKey()).publicKey;
        expect(nodeKeyAgreement(owner)(peer)).toEqual(portableKeyAgreement(owner)(peer));
      }),
      { numRuns: 25 },
    );
  });

  it('rejects off-curve points, so tampered reports fail authentication', () => {
    const owner = keyPairOf(generatePrivateKey());
    const payload = sealReport(owner.advertisementKey, { timestamp: new Date(), confidence: 1, latitude: 1, longitude: 2, accuracy: 3, status: 4 });
    const open = reportOpener(owner.privateKey, nodeKeyAgreement);
    for (let bit = 5 * 8; bit < 62 * 8; bit++) {
      const flipped = payload.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => open(flipped), `bit ${bit}`).toThrow(AuthenticationError);
    }
    expect(() => nodeKeyAgreement(owner.privateKey)(new Uint8Array(57))).toThrow(FormatError);
  });
});
