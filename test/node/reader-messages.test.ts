// Statements and rows cross between the store and its reader threads packed; both directions
// must come back exactly as they went.
import { describe, expect, it } from 'vitest';
import { packReportRows, packStatements, unpackReports, unpackStatements } from '../../src/reader-messages.mjs';

const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 255);

describe('reader messages', () => {
  it('packs statements with numbers and byte arrays of any length, in order', () => {
    const statements = [
      { sql: 'A', params: [20_000, bytes(32, 1), bytes(32, 2), 1_763_900_000, 1_764_000_000, 5] },
      { sql: 'B', params: [] },
      { sql: 'C', params: [bytes(0, 0), 7, bytes(89, 3), bytes(88, 4)] },
    ];
    const packed = packStatements(statements);
    expect(packed.blobs.length).toBe(32 + 32 + 89 + 88);
    expect(unpackStatements(structuredClone(packed))).toEqual(statements);
    expect(() => packStatements([{ sql: 'D', params: ['text'] }])).toThrow(TypeError);
  });

  it('packs report rows of 88- and 89-byte payloads', () => {
    const rows: Array<[Uint8Array, number, number]> = [
      [bytes(32 + 88, 5), 1_763_950_000, 1_763_950_060],
      [bytes(32 + 89, 6), 0, 2 ** 32 - 1],
    ];
    const reports = unpackReports(packReportRows(rows));
    expect(reports.map((r) => ({ ...r, hashedId: [...r.hashedId], payload: [...r.payload] }))).toEqual(
      rows.map(([record, timestamp, receivedAt]) => ({ hashedId: [...record.subarray(0, 32)], payload: [...record.subarray(32)], timestamp, receivedAt })),
    );
    expect(unpackReports(packReportRows([]))).toEqual([]);
  });
});
