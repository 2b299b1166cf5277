/**
 * JSON response bodies written straight into bytes, for the four owner routes, which return
 * reports by the thousand. Building an object and two base64 strings per report, then
 * JSON.stringify and UTF-8 encoding, cost several times as much and left garbage that set the
 * latency tail (BENCHMARKS.md). Everything these bodies hold is ASCII that JSON never escapes:
 * fixed keys, base64, integers.
 */
import { base64Length, EXTENDED_REPORT_LENGTH, HASHED_ID_LENGTH, writeBase64 } from '../../crypto/index.ts';
import type { Context } from 'hono';
import type { StoredReport } from '../storage/store.ts';

/**
 * Appends JSON text to a growing byte buffer.
 * @example new JsonBodyWriter().text('{"id":"').base64(hashedId).text('"}').finish()
 */
export class JsonBodyWriter {
  #bytes: Uint8Array<ArrayBuffer>;
  #length = 0;

  /** `expectedBytes` sizes the first buffer; it grows when a body outruns it. */
  constructor(expectedBytes = 1024) {
    this.#bytes = new Uint8Array(expectedBytes);
  }

  /** Appends JSON text as it stands: the caller's text must be ASCII and valid where it lands. */
  text(ascii: string): this {
    const at = this.#reserve(ascii.length);
    for (let i = 0; i < ascii.length; i++) this.#bytes[at + i] = ascii.charCodeAt(i);
    return this;
  }

  /** Appends the standard base64 of `bytes`, without quotes. */
  base64(bytes: Uint8Array): this {
    const at = this.#reserve(base64Length(bytes.length));
    writeBase64(bytes, this.#bytes, at);
    return this;
  }

  /** Appends a non-negative safe integer in decimal. */
  integer(value: number): this {
    if (value < DECIMAL_HALF) return this.#decimal(value, decimalDigits(value));
    // In two halves below 2^31, whose digits come from integer arithmetic, which is far cheaper
    // than a float division and modulo per digit of a 13-digit time. The floor is exact: below
    // 2^53 the quotient falls at least 10^-8 short of the next integer, and rounds by at most 2^-27.
    const high = Math.floor(value / DECIMAL_HALF);
    return this.#decimal(high, decimalDigits(high)).#decimal(value - high * DECIMAL_HALF, DECIMAL_HALF_DIGITS);
  }

  /** The body written so far. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Appends `value` (below 2^31) in exactly `digits` decimal digits, zeros first. */
  #decimal(value: number, digits: number): this {
    const at = this.#reserve(digits);
    for (let i = at + digits - 1, rest = value; i >= at; i--) {
      const quotient = (rest / 10) | 0;
      this.#bytes[i] = 0x30 + rest - quotient * 10;
      rest = quotient;
    }
    return this;
  }

  /** Makes room for `count` more bytes and returns where they start. */
  #reserve(count: number): number {
    const at = this.#length;
    if (at + count > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, at + count));
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
    }
    this.#length = at + count;
    return at;
  }
}

/** 10^8: every safe integer is at most 2^53 / 10^8 (below 2^31) times it, plus a rest below it. */
const DECIMAL_HALF = 1e8;
const DECIMAL_HALF_DIGITS = 8;

/** Decimal digits of a non-negative integer below 2^31. */
function decimalDigits(value: number): number {
  let digits = 1;
  for (let power = 10; power <= value; power *= 10) digits++;
  return digits;
}

/** Bytes one report takes in these bodies, besides its base64: keys, quotes and two 13-digit times. */
const REPORT_OVERHEAD_BYTES = 80;

/** A writer sized for a body of `reports` reports. */
function writerFor(reports: number): JsonBodyWriter {
  return new JsonBodyWriter(
    64 + reports * (REPORT_OVERHEAD_BYTES + base64Length(HASHED_ID_LENGTH) + base64Length(EXTENDED_REPORT_LENGTH)),
  );
}

/**
 * `{"reports":[{"id","payload","timestamp","receivedAt"}…],"nextCursor"}` of /v1/reports/query,
 * times in Unix ms.
 * @example answerJson(c, queryPageJson(page, null))
 */
export function queryPageJson(reports: readonly StoredReport[], nextCursor: string | null): Uint8Array<ArrayBuffer> {
  const body = writerFor(reports.length).text('{"reports":[');
  reports.forEach((r, i) => {
    body
      .text(i === 0 ? '{"id":"' : ',{"id":"')
      .base64(r.hashedId)
      .text('","payload":"')
      .base64(r.payload);
    body
      .text('","timestamp":')
      .integer(r.timestamp * 1000)
      .text(',"receivedAt":')
      .integer(r.receivedAt * 1000)
      .text('}');
  });
  return body.text('],"nextCursor":').text(JSON.stringify(nextCursor)).text('}').finish();
}

/**
 * Apple's legacy fetch answer, `{"statusCode":"200","results":[{"datePublished","payload",
 * "description":"found","id","statusCode":0}…]}`, shared by acsnservice and macless-haystack.
 * @example answerJson(c, appleLegacyJson(found))
 */
export function appleLegacyJson(reports: readonly StoredReport[]): Uint8Array<ArrayBuffer> {
  const body = writerFor(reports.length).text('{"statusCode":"200","results":[');
  reports.forEach((r, i) => {
    body
      .text(i === 0 ? '{"datePublished":' : ',{"datePublished":')
      .integer(r.receivedAt * 1000)
      .text(',"payload":"')
      .base64(r.payload);
    body.text('","description":"found","id":"').base64(r.hashedId).text('","statusCode":0}');
  });
  return body.text(']}').finish();
}

/**
 * Apple's v2 fetch answer, `{"acsnLocations":{"statusCode":"200","locationPayload":[{"id",
 * "locationInfo":[payload…]}…]}}`: one entry per group, each group the reports of one id.
 * @example answerJson(c, appleV2Json([reportsOfA, reportsOfB]))
 */
export function appleV2Json(groups: ReadonlyArray<readonly StoredReport[]>): Uint8Array<ArrayBuffer> {
  const body = writerFor(groups.reduce((sum, group) => sum + group.length, 0)).text(
    '{"acsnLocations":{"statusCode":"200","locationPayload":[',
  );
  groups.forEach((group, i) => {
    body
      .text(i === 0 ? '{"id":"' : ',{"id":"')
      .base64(group[0]!.hashedId)
      .text('","locationInfo":[');
    group.forEach((r, k) =>
      body
        .text(k === 0 ? '"' : ',"')
        .base64(r.payload)
        .text('"'),
    );
    body.text(']}');
  });
  return body.text(']}}').finish();
}

/**
 * A route's 200 answer from a body written by this module. Each body has its route's declared
 * shape by construction (json-body.test.ts compares every byte with JSON.stringify of the same
 * objects), which types cannot see in bytes: hence the cast, here and nowhere else.
 * @example return answerJson(c, queryPageJson(page, null));
 */
export function answerJson(c: Context, body: Uint8Array<ArrayBuffer>): never {
  return c.body(body, 200, { 'content-type': 'application/json' }) as never;
}
