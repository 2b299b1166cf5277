// Base64 is how every id and payload crosses the API: the encoder must match Node's own, and
// the strict decoder must accept exactly the canonical texts, nothing more, nothing less.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64Length,
  base64ToBytes,
  base64UrlToBytes,
  bytesToBase64,
  bytesToBase64Url,
  FormatError,
  writeBase64,
} from '../../crypto/index.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('base64 into bytes', () => {
  it('writes what Buffer writes, at any offset, for every length 0–200', () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length * 31) & 255);
      const target = new Uint8Array(3 + base64Length(length) + 2).fill(0xee);
      expect(writeBase64(bytes, target, 3)).toBe(3 + base64Length(length));
      expect(text(target.subarray(3, 3 + base64Length(length)))).toBe(b64(bytes));
      expect([...target.subarray(0, 3), ...target.subarray(3 + base64Length(length))]).toEqual([
        0xee, 0xee, 0xee, 0xee, 0xee,
      ]);
      expect(bytesToBase64(bytes)).toBe(b64(bytes));
    }
  });

  it('round-trips through the strict decoder', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        (bytes) => void expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes),
      ),
    );
  });
});

describe('strict base64 decoding', () => {
  /** Canonical standard base64: the grammar, and the bytes re-encode to the same text. */
  const isCanonical = (candidate: string) =>
    /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(candidate) &&
    b64(Buffer.from(candidate, 'base64')) === candidate;
  const nearBase64 = fc.string({ unit: fc.constantFrom(...'AQgw+/9z=-_ .\n\u00e9'.split('')), maxLength: 14 });

  it('accepts exactly the canonical texts, and decodes them as Node does', () => {
    fc.assert(
      fc.property(fc.oneof(nearBase64, fc.uint8Array({ maxLength: 40 }).map(b64)), (candidate) => {
        if (isCanonical(candidate))
          expect(base64ToBytes(candidate)).toEqual(new Uint8Array(Buffer.from(candidate, 'base64')));
        else expect(() => base64ToBytes(candidate)).toThrow(FormatError);
      }),
      { numRuns: 5000 },
    );
  });

  it('names non-zero padding bits', () => {
    expect(() => base64ToBytes('AR==')).toThrow('non-zero padding bits');
    expect(() => base64ToBytes('AQJ=')).toThrow('non-zero padding bits');
    expect(base64ToBytes('AQ==')).toEqual(Uint8Array.of(1));
    expect(base64ToBytes('')).toEqual(new Uint8Array(0));
  });
});

describe('base64url', () => {
  it('round-trips every length without padding, and refuses other alphabets', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const text = bytesToBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(base64UrlToBytes(text)).toEqual(bytes);
    }
    expect(() => base64UrlToBytes('ab+/')).toThrow(FormatError);
  });
});
