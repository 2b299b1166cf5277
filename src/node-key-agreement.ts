/**
 * The accelerated engine for opening reports on Node: OpenSSL's P-224 through node:crypto,
 * about 2–3× the portable engine. Lives outside crypto/ because browsers and Workers have
 * no node:crypto; `crypto/`'s portable engine stays the default everywhere else.
 */
import { createECDH } from 'node:crypto';
import { FormatError, scalarFromBytes, UNCOMPRESSED_POINT_LENGTH, type KeyAgreementEngine } from '../crypto/index.ts';

/**
 * @example reportOpener(privateKey, nodeKeyAgreement)(payload)
 */
export const nodeKeyAgreement: KeyAgreementEngine = (privateKey) => {
  scalarFromBytes(privateKey);
  const ecdh = createECDH('secp224r1');
  ecdh.setPrivateKey(privateKey);
  return (publicKey) => {
    if (publicKey.length !== UNCOMPRESSED_POINT_LENGTH || publicKey[0] !== 0x04) {
      throw new FormatError(`the peer key must be a ${UNCOMPRESSED_POINT_LENGTH}-byte uncompressed point`);
    }
    try {
      // OpenSSL rejects points off the curve and keeps the secret at the full 28 bytes.
      return new Uint8Array(ecdh.computeSecret(publicKey));
    } catch {
      throw new FormatError('not a point on P-224');
    }
  };
};
