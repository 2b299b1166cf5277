/**
 * Shared item locations (docs/protocol.md §16): an owner's decrypted locations of one item,
 * re-encrypted for a link whose key lives only in the link's fragment, which browsers never send
 * to a server. The server stores the ciphertext under the link's id and cannot read it.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concatBytes, expectLength } from './bytes.ts';
import { AuthenticationError } from './errors.ts';

/** The link's public part, the server's key for it. */
export const SHARE_ID_LENGTH = 16;
/** The AES-256 key in the link's fragment. */
export const SHARE_KEY_LENGTH = 32;
/** The owner's token for updating, ending and revoking; the server keeps its SHA-256. */
export const SHARE_TOKEN_LENGTH = 32;
const NONCE_LENGTH = 12;

/** What a link shows: one item's positions, newest last. */
export interface SharedLocations {
  readonly device: string;
  readonly reports: ReadonlyArray<{
    /** Observation time, Unix ms. */
    readonly timestamp: number;
    readonly latitude: number;
    readonly longitude: number;
    readonly accuracy: number;
  }>;
  /** When the owner's page sealed this, Unix ms. */
  readonly sealedAt: number;
}

/**
 * Seals locations for a link: nonce (12) ‖ AES-256-GCM(key, nonce, UTF-8 JSON, aad = id) ‖ tag.
 * @example sealShare(shareKey, shareId, { device: 'Suitcase', reports, sealedAt: Date.now() })
 */
export function sealShare(
  key: Uint8Array,
  id: Uint8Array,
  locations: SharedLocations,
  nonce: Uint8Array = randomBytes(NONCE_LENGTH),
): Uint8Array {
  expectLength(key, SHARE_KEY_LENGTH, 'share key');
  expectLength(id, SHARE_ID_LENGTH, 'share id');
  const plaintext = new TextEncoder().encode(JSON.stringify(locations));
  return concatBytes(nonce, gcm(key, nonce, id).encrypt(plaintext));
}

/**
 * Opens a link's ciphertext; an {@link AuthenticationError} for the wrong key, id or bytes.
 * @example openShare(shareKey, shareId, ciphertext).reports.at(-1)
 */
export function openShare(key: Uint8Array, id: Uint8Array, sealed: Uint8Array): SharedLocations {
  expectLength(key, SHARE_KEY_LENGTH, 'share key');
  expectLength(id, SHARE_ID_LENGTH, 'share id');
  let plaintext: Uint8Array;
  try {
    plaintext = gcm(key, sealed.subarray(0, NONCE_LENGTH), id).decrypt(sealed.subarray(NONCE_LENGTH));
  } catch {
    throw new AuthenticationError('the shared locations do not open with this link');
  }
  return JSON.parse(new TextDecoder().decode(plaintext)) as SharedLocations;
}
