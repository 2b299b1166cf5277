// The byte-written response bodies must be exactly what JSON.stringify makes of the same
// objects, and the base64 underneath them exactly what Node's own encoder makes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Length, base64ToBytes, bytesToBase64, writeBase64 } from '../../crypto/index.ts';
import { appleLegacyJson, JsonBodyWriter, queryPageJson } from '../../src/json-body.ts';
import type { StoredReport } from '../../src/store.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

const storedReport = fc.record({
  hashedId: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  payload: fc.oneof(fc.uint8Array({ minLength: 88, maxLength: 88 }), fc.uint8Array({ minLength: 89, maxLength: 89 })),
  timestamp: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  receivedAt: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
}) as fc.Arbitrary<StoredReport>;

describe('base64 into bytes', () => {
  it('writes what Buffer writes, at any offset, for every length 0–200', () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + length * 31) & 255);
      const target = new Uint8Array(3 + base64Length(length) + 2).fill(0xee);
      expect(writeBase64(bytes, target, 3)).toBe(3 + base64Length(length));
      expect(text(target.subarray(3, 3 + base64Length(length)))).toBe(b64(bytes));
      expect([...target.subarray(0, 3), ...target.subarray(3 + base64Length(length))]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
      expect(bytesToBase64(bytes)).toBe(b64(bytes));
    }
  });

  it('round-trips through the strict decoder', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes)));
  });
});

describe('JsonBodyWriter', () => {
  it('writes integers in decimal, across every power of ten', () => {
    const values = [0, 1, 9, 10, 99, 100, 1_763_950_000_000, Number.MAX_SAFE_INTEGER];
    for (let power = 1; power < 2 ** 53; power *= 10) values.push(power - 1, power, power + 1);
    for (const value of values) expect(text(new JsonBodyWriter(1).integer(value).finish())).toBe(String(value));
  });

  it('grows past its first buffer without losing what it holds', () => {
    const writer = new JsonBodyWriter(4).text('[');
    const parts = Array.from({ length: 500 }, (_, i) => Uint8Array.of(i & 255, 7, i >> 8));
    parts.forEach((bytes, i) => writer.text(i === 0 ? '"' : ',"').base64(bytes).text('"'));
    expect(JSON.parse(text(writer.text(']').finish()))).toEqual(parts.map(b64));
  });
});

describe('report bodies', () => {
  it('/v1/reports/query: byte for byte what JSON.stringify makes', () => {
    fc.assert(
      fc.property(fc.array(storedReport, { maxLength: 20 }), fc.option(fc.base64String()), (reports, nextCursor) => {
        const expected = { reports: reports.map((r) => ({ id: b64(r.hashedId), payload: b64(r.payload), timestamp: r.timestamp * 1000, receivedAt: r.receivedAt * 1000 })), nextCursor };
        expect(text(queryPageJson(reports, nextCursor))).toBe(JSON.stringify(expected));
      }),
    );
  });

  it("Apple's legacy results: byte for byte what JSON.stringify makes", () => {
    fc.assert(
      fc.property(fc.array(storedReport, { maxLength: 20 }), (reports) => {
        const results = reports.map((r) => ({ datePublished: r.receivedAt * 1000, payload: b64(r.payload), description: 'found', id: b64(r.hashedId), statusCode: 0 }));
        expect(text(appleLegacyJson(reports))).toBe(JSON.stringify({ statusCode: '200', results }));
      }),
    );
  });
});
