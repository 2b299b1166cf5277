// Statements and answers cross between the store and its reader threads packed; both directions
// must come back exactly as they went.
import { describe, expect, it } from 'vitest';
import { blobAt, packBlobs, packStatements, unpackStatements } from '../../src/storage/sqlite/reader-messages.mjs';

const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 255);

describe('reader messages', () => {
  it('packs statements with numbers and byte arrays of any length, in order', () => {
    const statements = [
      { sql: 'A', params: [20_000, bytes(32, 1), bytes(32, 2), 1_763_900_000, 1_764_000_000, 5] },
      { sql: 'B', params: [] },
      { sql: 'C', params: [bytes(0, 0), 7, bytes(89, 3), bytes(88, 4)] },
    ];
    const packed = packStatements(statements);
    expect(packed.blobs.packed.length).toBe(32 + 32 + 89 + 88);
    expect(unpackStatements(structuredClone(packed))).toEqual(statements);
    expect(() => packStatements([{ sql: 'D', params: ['text'] }])).toThrow(TypeError);
  });

  it('packs blobs of any length, null as empty, each back as a view of one buffer', () => {
    const blobs = [bytes(130, 5), null, bytes(0, 0), bytes(131, 6)];
    const packed = packBlobs(blobs);
    expect(packed.packed.length).toBe(261);
    const back = blobs.map((_, i) => blobAt(packed, i));
    expect(back.map((blob) => [...blob])).toEqual(blobs.map((blob) => [...(blob ?? [])]));
    expect(back.every((blob) => blob.buffer === packed.packed.buffer)).toBe(true);
    expect(packBlobs([]).packed.length).toBe(0);
  });
});
