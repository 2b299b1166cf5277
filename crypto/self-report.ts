/**
 * Self-reports (docs/protocol.md §14): a lost device that still has a connection seals its own
 * position to the key it broadcasts and uploads it like any finder. Its ephemeral key is not
 * random but derived from the key pair's private key and the report itself, so that the owner,
 * who holds the same private key, can tell the device's own reports from the crowd's, while to
 * the server and anyone else it is a report like every other. Deriving it from the whole
 * report keeps two different reports from ever sharing an ephemeral key (and with it an AES key
 * and IV); the same report twice gives the same payload, which the server stores once.
 */
import { bytesToBigInt, equalBytes } from './bytes.ts';
import { nobleP224, type P224Engine } from './engine.ts';
import { x963Kdf } from './kdf.ts';
import { advertisementKeyOf, PRIVATE_KEY_LENGTH, publicKeyOf } from './keys.ts';
import { CURVE_ORDER, scalarToBytes } from './p224.ts';
import { encodeLocation, parseReport, type LocationReport } from './report.ts';
import { sealReport } from './seal.ts';

const SELF_REPORT_INFO = new TextEncoder().encode('crowdfind self-report');

/**
 * The ephemeral private key of a self-report: X9.63 KDF over the private key, with the
 * observation time (Unix seconds, 4 bytes big-endian) and the 10-byte location plaintext as
 * shared info, 36 bytes reduced into [1, n − 1].
 * @example selfReportEphemeralKey(privateKey, report).length // 28
 */
export function selfReportEphemeralKey(privateKey: Uint8Array, report: LocationReport): Uint8Array {
  const info = new Uint8Array(SELF_REPORT_INFO.length + 4 + 10);
  info.set(SELF_REPORT_INFO);
  new DataView(info.buffer).setUint32(SELF_REPORT_INFO.length, Math.floor(report.timestamp.getTime() / 1000));
  info.set(encodeLocation(report), SELF_REPORT_INFO.length + 4);
  const wide = x963Kdf(privateKey, info, PRIVATE_KEY_LENGTH + 8);
  return scalarToBytes((bytesToBigInt(wide) % (CURVE_ORDER - 1n)) + 1n);
}

/**
 * Seals a device's own position to its current key pair: an ordinary 88-byte payload.
 * @example sealSelfReport(privateKey, { timestamp: new Date(), confidence: 3, latitude, longitude, accuracy: 10, status: 0 })
 */
export function sealSelfReport(
  privateKey: Uint8Array,
  report: LocationReport,
  engine: P224Engine = nobleP224,
): Uint8Array {
  const advertisementKey = advertisementKeyOf(publicKeyOf(privateKey, engine));
  return sealReport(advertisementKey, report, {
    ephemeralPrivateKey: selfReportEphemeralKey(privateKey, report),
    engine,
  });
}

/**
 * True when an opened report is the device's own: its ephemeral key is the one
 * {@link selfReportEphemeralKey} gives for what it says.
 * @example isSelfReport(privateKey, payload, openReport(payload, privateKey))
 */
export function isSelfReport(
  privateKey: Uint8Array,
  payload: Uint8Array,
  opened: LocationReport,
  engine: P224Engine = nobleP224,
): boolean {
  return areSelfReports(privateKey, [payload], [opened], engine)[0]!;
}

/**
 * {@link isSelfReport} for the opened reports of one key at once, in one engine call that shares
 * one field inversion across them: the owner's path, where it costs one fixed-base
 * multiplication per report.
 * @example areSelfReports(privateKey, payloads, openedReports, engine)
 */
export function areSelfReports(
  privateKey: Uint8Array,
  payloads: readonly Uint8Array[],
  opened: readonly LocationReport[],
  engine: P224Engine = nobleP224,
): boolean[] {
  if (opened.length === 0) return [];
  const expected = engine.publicKeys(opened.map((report) => selfReportEphemeralKey(privateKey, report)));
  return expected.map((point, i) => equalBytes(point, parseReport(payloads[i]!).ephemeralPublicKey));
}
