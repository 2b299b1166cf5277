/**
 * Sealing a location to an advertisement key (the finder) and opening it with the private
 * key (the owner): ECDH on P-224, X9.63 KDF, AES-128-GCM with a 16-byte IV (SPEC §2).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { concatBytes } from './bytes.ts';
import { portableKeyAgreement, type KeyAgreementEngine } from './ecdh.ts';
import { AuthenticationError, FormatError } from './errors.ts';
import { x963Kdf } from './kdf.ts';
import { generatePrivateKey } from './keys.ts';
import { P224, liftX, scalarFromBytes, xCoordinate } from './p224.ts';
import { decodeLocation, encodeLocation, encodeReport, parseReport, type LocationReport } from './report.ts';

const AES_KEY_LENGTH = 16;
const DERIVED_LENGTH = 32; // AES key ‖ 16-byte GCM IV

/** Options for {@link sealReport}. */
export interface SealOptions {
  /** A fixed ephemeral key, for test vectors only; by default a fresh one per report. */
  readonly ephemeralPrivateKey?: Uint8Array;
}

/**
 * Encrypts a sighting to an accessory's 28-byte advertisement key, giving the 88-byte payload.
 * @example sealReport(advertisementKey, { timestamp: new Date(), confidence: 2, latitude: 52.52, longitude: 13.405, accuracy: 35, status: 0 })
 */
export function sealReport(advertisementKey: Uint8Array, report: LocationReport, options: SealOptions = {}): Uint8Array {
  const accessoryPoint = liftX(advertisementKey);
  const plaintext = encodeLocation(report);
  const e = scalarFromBytes(options.ephemeralPrivateKey ?? generatePrivateKey());
  const ephemeralPublicKey = P224.BASE.multiply(e).toBytes(false);
  const sharedSecret = xCoordinate(accessoryPoint.multiply(e));
  const sealed = cipherFor(sharedSecret, ephemeralPublicKey).encrypt(plaintext);
  return encodeReport({
    timestamp: report.timestamp,
    confidence: report.confidence,
    ephemeralPublicKey,
    ciphertext: sealed.subarray(0, plaintext.length),
    tag: sealed.subarray(plaintext.length),
  });
}

/**
 * A function that opens reports sealed to one private key, binding the key once. Throws
 * {@link FormatError} for a payload of the wrong length and {@link AuthenticationError} for
 * a report that is not for this key or was altered.
 * @example const open = reportOpener(privateKey); const reports = payloads.map(open);
 */
export function reportOpener(privateKey: Uint8Array, engine: KeyAgreementEngine = portableKeyAgreement): (payload: Uint8Array) => LocationReport {
  const agree = engine(privateKey);
  return (payload) => {
    const report = parseReport(payload);
    let sharedSecret: Uint8Array;
    try {
      sharedSecret = agree(report.ephemeralPublicKey);
    } catch (error) {
      if (error instanceof FormatError) throw new AuthenticationError('the report’s ephemeral key is not a valid P-224 point');
      throw error;
    }
    let plaintext: Uint8Array;
    try {
      plaintext = cipherFor(sharedSecret, report.ephemeralPublicKey).decrypt(concatBytes(report.ciphertext, report.tag));
    } catch {
      throw new AuthenticationError('the report does not authenticate with this key');
    }
    return { timestamp: report.timestamp, confidence: report.confidence, ...decodeLocation(plaintext) };
  };
}

/**
 * Opens one report. For many reports of one key, {@link reportOpener} avoids repeating work.
 * @example openReport(payload, privateKey).latitude
 */
export function openReport(payload: Uint8Array, privateKey: Uint8Array): LocationReport {
  return reportOpener(privateKey)(payload);
}

function cipherFor(sharedSecret: Uint8Array, ephemeralPublicKey: Uint8Array) {
  const derived = x963Kdf(sharedSecret, ephemeralPublicKey, DERIVED_LENGTH);
  return gcm(derived.subarray(0, AES_KEY_LENGTH), derived.subarray(AES_KEY_LENGTH));
}
