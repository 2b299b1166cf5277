// The byte-written response bodies must be exactly what JSON.stringify makes of the same objects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appleLegacyJson, appleV2Json, JsonBodyWriter, queryPageJson } from '../../src/http/json-body.ts';
import type { StoredReport } from '../../src/storage/store.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

const storedReport = fc.record({
  hashedId: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  payload: fc.oneof(fc.uint8Array({ minLength: 88, maxLength: 88 }), fc.uint8Array({ minLength: 89, maxLength: 89 })),
  timestamp: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  receivedAt: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
}) as fc.Arbitrary<StoredReport>;

describe('JsonBodyWriter', () => {
  it('writes integers in decimal, across every power of ten', () => {
    const values = [0, 1, 9, 10, 99, 100, 1_763_950_000_000, Number.MAX_SAFE_INTEGER];
    for (let power = 1; power < 2 ** 53; power *= 10) values.push(power - 1, power, power + 1);
    // Just below multiples of 10^8 near 2^53, where a rounding error in dividing by 10^8 would show.
    values.push(90_071_992 * 1e8 - 1, 90_071_991 * 1e8 - 1, 90_071_992 * 1e8);
    for (const value of values) expect(text(new JsonBodyWriter(1).integer(value).finish())).toBe(String(value));
    fc.assert(
      fc.property(fc.maxSafeNat(), (value) => text(new JsonBodyWriter(1).integer(value).finish()) === String(value)),
    );
  });

  it('grows past its first buffer without losing what it holds', () => {
    const writer = new JsonBodyWriter(4).text('[');
    const parts = Array.from({ length: 500 }, (_, i) => Uint8Array.of(i & 255, 7, i >> 8));
    parts.forEach((bytes, i) =>
      writer
        .text(i === 0 ? '"' : ',"')
        .base64(bytes)
        .text('"'),
    );
    expect(JSON.parse(text(writer.text(']').finish()))).toEqual(parts.map(b64));
  });
});

describe('report bodies', () => {
  it('/v1/reports/query: byte for byte what JSON.stringify makes', () => {
    fc.assert(
      fc.property(fc.array(storedReport, { maxLength: 20 }), fc.option(fc.base64String()), (reports, nextCursor) => {
        const expected = {
          reports: reports.map((r) => ({
            id: b64(r.hashedId),
            payload: b64(r.payload),
            timestamp: r.timestamp * 1000,
            receivedAt: r.receivedAt * 1000,
          })),
          nextCursor,
        };
        expect(text(queryPageJson(reports, nextCursor))).toBe(JSON.stringify(expected));
      }),
    );
  });

  it("Apple's legacy results: byte for byte what JSON.stringify makes", () => {
    fc.assert(
      fc.property(fc.array(storedReport, { maxLength: 20 }), (reports) => {
        const results = reports.map((r) => ({
          datePublished: r.receivedAt * 1000,
          payload: b64(r.payload),
          description: 'found',
          id: b64(r.hashedId),
          statusCode: 0,
        }));
        expect(text(appleLegacyJson(reports))).toBe(JSON.stringify({ statusCode: '200', results }));
      }),
    );
  });

  it("Apple's v2 groups: byte for byte what JSON.stringify makes", () => {
    fc.assert(
      fc.property(fc.array(fc.array(storedReport, { minLength: 1, maxLength: 5 }), { maxLength: 6 }), (groups) => {
        const locationPayload = groups.map((group) => ({
          id: b64(group[0]!.hashedId),
          locationInfo: group.map((r) => b64(r.payload)),
        }));
        expect(text(appleV2Json(groups))).toBe(
          JSON.stringify({ acsnLocations: { statusCode: '200', locationPayload } }),
        );
      }),
    );
  });
});
