/**
 * Valid reports at benchmark scale. Sealing is too slow to make millions, and the server only
 * checks the structure: so payloads get a real timestamp, a real P-224 ephemeral key of their
 * own, and random ciphertext and tag. Every payload's ephemeral key is a different point (the
 * server keeps one report per ephemeral key, day and id): consecutive multiples of a random
 * point, one addition each, brought to affine form a batch at a time with one shared inversion.
 */
import { randomFillSync } from 'node:crypto';
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import {
  APPLE_EPOCH_OFFSET_SECONDS,
  generatePrivateKey,
  P224,
  REPORT_LENGTH,
  scalarFromBytes,
} from '../crypto/index.ts';

/** Points made per batch, each with its own affine conversion out of one inversion. */
const POINT_BATCH = 4096;

let nextPoint = P224.BASE.multiply(scalarFromBytes(generatePrivateKey()));
let points: Uint8Array[] = [];

/** A P-224 point, uncompressed, that no earlier call returned. */
function freshPoint(): Uint8Array {
  if (points.length === 0) {
    const batch = [];
    for (let i = 0; i < POINT_BATCH; i++) batch.push((nextPoint = nextPoint.add(P224.BASE)));
    points = normalizeZ(P224, batch).map((point) => point.toBytes(false));
  }
  return points.pop()!;
}

/** A population of hashed ids, as a crowd of accessories would have. */
export function hashedIdPopulation(count: number): Uint8Array[] {
  return Array.from({ length: count }, () => randomFillSync(new Uint8Array(32)));
}

/** An 88-byte payload observed at `timestamp` (Unix seconds), with an ephemeral key of its own. */
export function syntheticPayload(timestamp: number): Uint8Array {
  const payload = new Uint8Array(REPORT_LENGTH);
  randomFillSync(payload, 62);
  new DataView(payload.buffer).setUint32(0, timestamp - APPLE_EPOCH_OFFSET_SECONDS);
  payload[4] = 2;
  payload.set(freshPoint(), 5);
  return payload;
}

/**
 * `count` reports of fresh ids observed a minute ago, ready for a binary upload.
 * @example encodeBinaryUpload(freshReports(500))
 */
export function freshReports(count: number): Array<{ hashedId: Uint8Array; payload: Uint8Array }> {
  const observed = Math.floor(Date.now() / 1000) - 60;
  return hashedIdPopulation(count).map((hashedId) => ({ hashedId, payload: syntheticPayload(observed) }));
}
