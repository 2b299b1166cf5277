import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcmOpen, gcmSeal } from '../../crypto/aes-gcm.ts';
import { AuthenticationError, FormatError, hexToBytes } from '../../crypto/index.ts';
import { vectors } from './vectors.ts';

describe('AES-128-GCM for reports', () => {
  it('matches noble’s gcm for random keys and 16-byte IVs and plaintexts of 0–40 bytes, and refuses other IV lengths', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 40 }),
        (key, iv, plaintext) => {
          const sealed = gcmSeal(key, iv, plaintext);
          expect(sealed).toEqual(gcm(key, iv).encrypt(plaintext));
          expect(gcmOpen(key, iv, sealed)).toEqual(plaintext);
        },
      ),
      { numRuns: 300 },
    );
    for (const length of [12, 15, 17])
      expect(() => gcmSeal(new Uint8Array(16), new Uint8Array(length), new Uint8Array(10))).toThrow(FormatError);
  });

  it('reproduces the ciphertext and tag of every report vector', () => {
    for (const v of vectors.reports) {
      const sealed = gcmSeal(
        hexToBytes(v.intermediate.aes_key_hex),
        hexToBytes(v.intermediate.gcm_iv_hex),
        hexToBytes(v.intermediate.plaintext_hex),
      );
      expect(sealed).toEqual(hexToBytes(v.intermediate.ciphertext_hex + v.intermediate.tag_hex));
    }
  });

  it('refuses any changed bit, and data shorter than a tag, with AuthenticationError', () => {
    const key = new Uint8Array(16).fill(7);
    const iv = new Uint8Array(16).fill(9);
    const sealed = gcmSeal(key, iv, new Uint8Array(10).fill(1));
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const flipped = sealed.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => gcmOpen(key, iv, flipped)).toThrow(AuthenticationError);
    }
    expect(() => gcmOpen(key, iv, sealed.subarray(0, 15))).toThrow(AuthenticationError);
  });
});
