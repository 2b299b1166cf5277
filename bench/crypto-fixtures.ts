/**
 * What the crypto benchmarks work on, in Node and inside workerd alike (no Node imports): a
 * location report to seal and the key material of a random rolling accessory.
 */
import { generatePrivateKey, type LocationReport, type RollingAccessoryKeys } from '../crypto/index.ts';

export const DAY_MS = 86_400_000;

export const SIGHTING: LocationReport = {
  timestamp: new Date('2026-01-01T00:00:00Z'),
  confidence: 2,
  latitude: 52.52,
  longitude: 13.405,
  accuracy: 35,
  status: 0,
};

/** Fresh keys for a rolling accessory paired at `pairedAt`. */
export function randomAccessoryKeys(pairedAt: Date): RollingAccessoryKeys {
  const secret = () => crypto.getRandomValues(new Uint8Array(32));
  return { masterKey: generatePrivateKey(), primarySecret: secret(), secondarySecret: secret(), pairedAt };
}
