/**
 * Valid reports at benchmark scale. Sealing is too slow to make millions, and the server only
 * checks the structure: so payloads get a real timestamp, a real P-224 ephemeral key from a
 * small pool, and random ciphertext and tag (which also makes every payload unique).
 */
import { randomFillSync } from 'node:crypto';
import { APPLE_EPOCH_OFFSET_SECONDS, generatePrivateKey, publicKeyOf, REPORT_LENGTH } from '../crypto/index.ts';

const POINT_POOL = Array.from({ length: 64 }, () => publicKeyOf(generatePrivateKey()));

/** A population of hashed ids, as a crowd of accessories would have. */
export function hashedIdPopulation(count: number): Uint8Array[] {
  return Array.from({ length: count }, () => randomFillSync(new Uint8Array(32)));
}

/** An 88-byte payload observed at `timestamp` (Unix seconds). */
export function syntheticPayload(timestamp: number): Uint8Array {
  const payload = new Uint8Array(REPORT_LENGTH);
  randomFillSync(payload, 62);
  new DataView(payload.buffer).setUint32(0, timestamp - APPLE_EPOCH_OFFSET_SECONDS);
  payload[4] = 2;
  payload.set(POINT_POOL[timestamp % POINT_POOL.length]!, 5);
  return payload;
}
