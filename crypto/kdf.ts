/**
 * ANSI X9.63 key derivation with SHA-256 (SEC 1 §3.6.1; docs/protocol.md §1.4): used to turn an ECDH
 * secret into the AES key and IV of a report, and to step and diversify rolling-key secrets.
 */
import { sha256 } from '@noble/hashes/sha2.js';

const SHA256_LENGTH = 32;

/**
 * The first `length` bytes of SHA-256(secret ‖ be32(1) ‖ info) ‖ SHA-256(secret ‖ be32(2) ‖ info) ‖ …
 * @example x963Kdf(sharedSecret, ephemeralPublicKey, 32) // AES key ‖ GCM IV
 */
export function x963Kdf(secret: Uint8Array, sharedInfo: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const block = new Uint8Array(secret.length + 4 + sharedInfo.length);
  block.set(secret, 0);
  block.set(sharedInfo, secret.length + 4);
  const counter = new DataView(block.buffer, secret.length, 4);
  for (let i = 0; i * SHA256_LENGTH < length; i++) {
    counter.setUint32(0, i + 1);
    out.set(sha256(block).subarray(0, length - i * SHA256_LENGTH), i * SHA256_LENGTH);
  }
  return out;
}
