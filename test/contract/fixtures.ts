/** Reports for the contract suite, sealed with crypto/ to keys that are fresh for every run. */
import { bytesToBase64, generatePrivateKey, keyPairOf, sealReport, type KeyPair } from '../../crypto/index.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';

/** A report sealed for the contract suite, in its wire and byte forms. */
export interface ContractReport {
  readonly id: string;
  readonly payload: string;
  readonly hashedId: Uint8Array;
  readonly payloadBytes: Uint8Array;
  /** Observation time, Unix ms (whole seconds). */
  readonly timestamp: number;
}

/** A fresh owner key pair. */
export function newOwner(): KeyPair {
  return keyPairOf(generatePrivateKey());
}

/** One report sealed to `owner`, observed at `timestampMs`. */
export function sealFor(owner: KeyPair, timestampMs: number, latitude = 48.8566): ContractReport {
  const timestamp = Math.floor(timestampMs / 1000) * 1000;
  const payloadBytes = sealReport(owner.advertisementKey, {
    timestamp: new Date(timestamp),
    confidence: 2,
    latitude,
    longitude: 2.3522,
    accuracy: 20,
    status: 0,
  });
  return {
    id: bytesToBase64(owner.hashedId),
    payload: bytesToBase64(payloadBytes),
    hashedId: owner.hashedId,
    payloadBytes,
    timestamp,
  };
}

/** The JSON upload body for these reports. */
export function jsonUpload(reports: readonly ContractReport[]): string {
  return JSON.stringify({ reports: reports.map(({ id, payload }) => ({ id, payload })) });
}

/** The binary upload body: 32-byte id then 88-byte payload per report. */
export function binaryUpload(reports: readonly ContractReport[]): Uint8Array {
  return encodeBinaryUpload(reports.map((r) => ({ hashedId: r.hashedId, payload: r.payloadBytes })));
}
