/**
 * The one costly step of opening a report, x(d·E), behind a seam so that a faster engine
 * (node:crypto on Node, a specialised P-224 later) can replace the portable one.
 */
import { FormatError } from './errors.ts';
import { pointFromBytes, scalarFromBytes, UNCOMPRESSED_POINT_LENGTH, xCoordinate } from './p224.ts';

/**
 * ECDH bound to one private key: maps a peer's 57-byte uncompressed point to the 28-byte
 * shared x coordinate (leading zeros kept). Throws {@link FormatError} for an invalid point.
 */
export type KeyAgreement = (publicKey: Uint8Array) => Uint8Array;

/** Binds a 28-byte private key once, so per-key work is not repeated for every report. */
export type KeyAgreementEngine = (privateKey: Uint8Array) => KeyAgreement;

/**
 * The portable engine (noble, BigInt arithmetic). It multiplies in variable time, which is
 * about twice as fast as noble's constant-time ladder: opening runs on the owner's own device,
 * where a finder cannot time it. A specialised constant-time engine can replace it here.
 * @example const agree = portableKeyAgreement(privateKey); agree(report.ephemeralPublicKey)
 */
export const portableKeyAgreement: KeyAgreementEngine = (privateKey) => {
  const d = scalarFromBytes(privateKey);
  return (publicKey) => {
    if (publicKey.length !== UNCOMPRESSED_POINT_LENGTH || publicKey[0] !== 0x04) {
      throw new FormatError(`the peer key must be a ${UNCOMPRESSED_POINT_LENGTH}-byte uncompressed point`);
    }
    return xCoordinate(pointFromBytes(publicKey).multiplyUnsafe(d));
  };
};
