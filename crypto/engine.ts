/**
 * The P-224 operations whose speed decides how fast an owner derives keys and opens reports,
 * and how cheaply a server checks uploads, behind one seam: the noble reference below, and the
 * WebAssembly engine of fast-p224.ts. Both take and return fixed-length Uint8Arrays.
 */
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import { FormatError } from './errors.ts';
import {
  isUncompressedPoint,
  P224,
  pointFromBytes,
  scalarFromBytes,
  UNCOMPRESSED_POINT_LENGTH,
  xCoordinate,
} from './p224.ts';

export interface P224Engine {
  /**
   * The 57-byte uncompressed public keys d·G of 28-byte private keys. A key outside [1, n − 1]
   * is a {@link FormatError}.
   * @example engine.publicKeys([privateKey])[0] // 04 ‖ X ‖ Y
   */
  publicKeys(privateKeys: readonly Uint8Array[]): Uint8Array[];
  /**
   * ECDH with one private key and many peers: the 28-byte x(d·P) for each 57-byte uncompressed
   * peer point, or null for a peer that is not a point on P-224.
   * @example engine.sharedSecrets(privateKey, [report.ephemeralPublicKey])[0]
   */
  sharedSecrets(privateKey: Uint8Array, peers: readonly Uint8Array[]): (Uint8Array | null)[];
  /**
   * True when `bytes` is a 57-byte uncompressed point on P-224: the check a server applies to
   * the ephemeral key of every uploaded report.
   * @example engine.isUncompressedPoint(payload.subarray(5, 62))
   */
  isUncompressedPoint(bytes: Uint8Array): boolean;
}

/**
 * The reference engine: noble's generic BigInt arithmetic and constant-time ladder, pure
 * TypeScript, synchronous in every runtime, and 10 to 40 times slower than the fast engine. It
 * is the default of every function here that takes an engine, and the oracle the fast engine
 * is tested against.
 * @example keyPairsOf(privateKeys, nobleP224)
 */
export const nobleP224: P224Engine = {
  publicKeys(privateKeys) {
    const projective = privateKeys.map((d) => P224.BASE.multiply(scalarFromBytes(d)));
    return normalizeZ(P224, projective).map((point) => point.toBytes(false));
  },
  sharedSecrets(privateKey, peers) {
    const d = scalarFromBytes(privateKey);
    return peers.map((peer) => {
      if (peer.length !== UNCOMPRESSED_POINT_LENGTH || peer[0] !== 0x04) return null;
      try {
        return xCoordinate(pointFromBytes(peer).multiply(d));
      } catch (error) {
        if (error instanceof FormatError) return null;
        throw error;
      }
    });
  },
  isUncompressedPoint,
};
