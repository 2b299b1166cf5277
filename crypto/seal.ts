/**
 * Sealing a location to an advertisement key (the finder) and opening it with the private
 * key (the owner): ECDH on P-224, X9.63 KDF, AES-128-GCM with a 16-byte IV (docs/protocol.md §2).
 */
import { gcmOpen, gcmSeal } from './aes-gcm.ts';
import { concatBytes } from './bytes.ts';
import { nobleP224, type P224Engine } from './engine.ts';
import { AuthenticationError, FormatError } from './errors.ts';
import { x963Kdf } from './kdf.ts';
import { generatePrivateKey } from './keys.ts';
import { liftX } from './p224.ts';
import {
  decodeLocation,
  encodeLocation,
  encodeReport,
  parseReport,
  type EncryptedReport,
  type LocationReport,
} from './report.ts';

const AES_KEY_LENGTH = 16;
const DERIVED_LENGTH = 32; // AES key ‖ 16-byte GCM IV

/** Options for {@link sealReport}. */
export interface SealOptions {
  /** A fixed ephemeral key, for test vectors only; by default a fresh one per report. */
  readonly ephemeralPrivateKey?: Uint8Array;
  /** The P-224 engine; the noble reference by default. */
  readonly engine?: P224Engine;
}

/**
 * Encrypts a location report to an accessory's 28-byte advertisement key, giving the 88-byte payload.
 * @example sealReport(advertisementKey, { timestamp: new Date(), confidence: 2, latitude: 52.52, longitude: 13.405, accuracy: 35, status: 0 })
 */
export function sealReport(
  advertisementKey: Uint8Array,
  report: LocationReport,
  options: SealOptions = {},
): Uint8Array {
  const engine = options.engine ?? nobleP224;
  const accessoryPoint = liftX(advertisementKey).toBytes(false);
  const plaintext = encodeLocation(report);
  const ephemeralPrivateKey = options.ephemeralPrivateKey ?? generatePrivateKey();
  const ephemeralPublicKey = engine.publicKeys([ephemeralPrivateKey])[0]!;
  const sharedSecret = engine.sharedSecrets(ephemeralPrivateKey, [accessoryPoint])[0]!;
  const [key, iv] = reportKeys(sharedSecret, ephemeralPublicKey);
  const sealed = gcmSeal(key, iv, plaintext);
  return encodeReport({
    timestamp: report.timestamp,
    confidence: report.confidence,
    ephemeralPublicKey,
    ciphertext: sealed.subarray(0, plaintext.length),
    tag: sealed.subarray(plaintext.length),
  });
}

/**
 * Opens one report. Throws {@link FormatError} for a payload of the wrong length and
 * {@link AuthenticationError} for a report that is not for this key or was altered.
 * @example openReport(payload, privateKey).latitude
 */
export function openReport(
  payload: Uint8Array,
  privateKey: Uint8Array,
  engine: P224Engine = nobleP224,
): LocationReport {
  const report = parseReport(payload);
  const sharedSecret = engine.sharedSecrets(privateKey, [report.ephemeralPublicKey])[0]!;
  if (sharedSecret === null) throw new AuthenticationError('the report’s ephemeral key is not a valid P-224 point');
  return decrypt(report, sharedSecret);
}

/**
 * Opens many reports sealed to one private key, with the ECDH of the whole batch in one engine
 * call (one shared inversion on the fast engine). Each entry is the report, or null where the
 * payload does not open with this key: malformed, altered, or sealed to another key.
 * @example openReports(payloads, privateKey, engine).filter((report) => report !== null)
 */
export function openReports(
  payloads: readonly Uint8Array[],
  privateKey: Uint8Array,
  engine: P224Engine = nobleP224,
): (LocationReport | null)[] {
  const reports = payloads.map((payload) => {
    try {
      return parseReport(payload);
    } catch (error) {
      if (error instanceof FormatError) return null;
      throw error;
    }
  });
  const parsed = reports.filter((report) => report !== null);
  const secrets = engine.sharedSecrets(
    privateKey,
    parsed.map((report) => report.ephemeralPublicKey),
  );
  let next = 0;
  return reports.map((report) => {
    if (report === null) return null;
    const sharedSecret = secrets[next++]!;
    if (sharedSecret === null) return null;
    try {
      return decrypt(report, sharedSecret);
    } catch (error) {
      if (error instanceof AuthenticationError) return null;
      throw error;
    }
  });
}

function decrypt(report: EncryptedReport, sharedSecret: Uint8Array): LocationReport {
  const [key, iv] = reportKeys(sharedSecret, report.ephemeralPublicKey);
  const plaintext = gcmOpen(key, iv, concatBytes(report.ciphertext, report.tag));
  return { timestamp: report.timestamp, confidence: report.confidence, ...decodeLocation(plaintext) };
}

/** The AES key and IV of a report, from its ECDH secret and ephemeral key (docs/protocol.md §2). */
function reportKeys(sharedSecret: Uint8Array, ephemeralPublicKey: Uint8Array): [Uint8Array, Uint8Array] {
  const derived = x963Kdf(sharedSecret, ephemeralPublicKey, DERIVED_LENGTH);
  return [derived.subarray(0, AES_KEY_LENGTH), derived.subarray(AES_KEY_LENGTH)];
}
