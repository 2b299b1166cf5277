/**
 * AES-128-GCM in the shape reports use (docs/protocol.md §2): a 16-byte IV, no associated data and a
 * plaintext of a few bytes. noble's gcm builds a GHASH table for every key, which for one short
 * report costs nearly half the fast engine's ECDH (about 40 µs); here GHASH multiplies bit by
 * bit, with masks rather than branches, four times per report. AES itself is noble's block
 * function on a key expanded once per report: noble exports it as `unsafe` (internal, free to
 * change between versions); the exact pin and the tests against noble's gcm guard that.
 */
import { unsafe } from '@noble/ciphers/aes.js';
import { expectLength } from './bytes.ts';
import { AuthenticationError } from './errors.ts';

const BLOCK_LENGTH = 16;
/** A report's IV: the last 16 bytes of its KDF output. */
const IV_LENGTH = 16;
/** Bytes of the authentication tag that follows the ciphertext. */
export const GCM_TAG_LENGTH = 16;

/**
 * Encrypts `plaintext`, returning ciphertext ‖ 16-byte tag.
 * @example gcmSeal(aesKey, iv, encodeLocation(report))
 */
export function gcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const { keystream, tagMask, hashKey } = gcmSetup(key, iv, plaintext.length);
  const sealed = new Uint8Array(plaintext.length + GCM_TAG_LENGTH);
  for (let i = 0; i < plaintext.length; i++) sealed[i] = plaintext[i]! ^ keystream[i]!;
  const ciphertext = sealed.subarray(0, plaintext.length);
  sealed.set(tagOf(hashKey, tagMask, ciphertext), plaintext.length);
  return sealed;
}

/**
 * Checks the tag of ciphertext ‖ tag and decrypts; an {@link AuthenticationError} if it fails.
 * @example gcmOpen(aesKey, iv, concatBytes(report.ciphertext, report.tag))
 */
export function gcmOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < GCM_TAG_LENGTH) throw new AuthenticationError('the sealed data is shorter than its tag');
  const length = sealed.length - GCM_TAG_LENGTH;
  const ciphertext = sealed.subarray(0, length);
  const { keystream, tagMask, hashKey } = gcmSetup(key, iv, length);
  const expected = tagOf(hashKey, tagMask, ciphertext);
  let difference = 0;
  for (let i = 0; i < GCM_TAG_LENGTH; i++) difference |= expected[i]! ^ sealed[length + i]!;
  if (difference !== 0) throw new AuthenticationError('the tag does not match');
  const plaintext = new Uint8Array(length);
  for (let i = 0; i < length; i++) plaintext[i] = ciphertext[i]! ^ keystream[i]!;
  return plaintext;
}

/** H = E(0); J₀ = GHASH(IV ‖ len), as for any IV that is not 12 bytes; E(J₀) masks the tag; E(J₀ + 1), … are the keystream. */
function gcmSetup(key: Uint8Array, iv: Uint8Array, length: number) {
  expectLength(iv, IV_LENGTH, 'GCM IV');
  const expandedKey = unsafe.expandKeyLE(key);
  const hashKey = unsafe.encryptBlock(expandedKey, new Uint8Array(BLOCK_LENGTH));
  const j0 = ghash(hashKey, iv);
  // Counter blocks J₀, J₀ + 1, … encrypted in place: E(J₀) masks the tag, the rest is keystream.
  const blocks = Math.ceil(length / BLOCK_LENGTH);
  const stream = new Uint8Array((blocks + 1) * BLOCK_LENGTH);
  const view = new DataView(stream.buffer);
  const counter = new DataView(j0.buffer, j0.byteOffset, BLOCK_LENGTH).getUint32(12);
  for (let i = 0; i <= blocks; i++) {
    stream.set(j0, i * BLOCK_LENGTH);
    view.setUint32(i * BLOCK_LENGTH + 12, (counter + i) >>> 0);
    unsafe.encryptBlock(expandedKey, stream.subarray(i * BLOCK_LENGTH, (i + 1) * BLOCK_LENGTH));
  }
  return { hashKey, tagMask: stream.subarray(0, BLOCK_LENGTH), keystream: stream.subarray(BLOCK_LENGTH) };
}

function tagOf(hashKey: Uint8Array, tagMask: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const tag = ghash(hashKey, ciphertext);
  for (let i = 0; i < BLOCK_LENGTH; i++) tag[i]! ^= tagMask[i]!;
  return tag;
}

/**
 * GHASH over `data` zero-padded to whole blocks, then the block 0⁶⁴ ‖ be64(8·|data|): the tag's
 * input with no AAD, and J₀'s input for a 16-byte IV (SP 800-38D §7.1).
 */
function ghash(hashKey: Uint8Array, data: Uint8Array): Uint8Array {
  const h = new DataView(hashKey.buffer, hashKey.byteOffset, BLOCK_LENGTH);
  const h0 = h.getUint32(0),
    h1 = h.getUint32(4),
    h2 = h.getUint32(8),
    h3 = h.getUint32(12);
  const padded = new Uint8Array(Math.ceil(data.length / BLOCK_LENGTH) * BLOCK_LENGTH + BLOCK_LENGTH);
  padded.set(data);
  const view = new DataView(padded.buffer);
  const lengths = padded.length - BLOCK_LENGTH;
  view.setUint32(lengths + 12, 8 * data.length);
  let y0 = 0,
    y1 = 0,
    y2 = 0,
    y3 = 0;
  for (let at = 0; at < padded.length; at += BLOCK_LENGTH) {
    const x0 = y0 ^ view.getUint32(at),
      x1 = y1 ^ view.getUint32(at + 4),
      x2 = y2 ^ view.getUint32(at + 8),
      x3 = y3 ^ view.getUint32(at + 12);
    // Y = X·H in GF(2¹²⁸), bits in GCM's reflected order: for each bit of X from the top, add
    // V if the bit is set, then V = V·x (a right shift, reduced by R = 0xe1 ‖ 0¹²⁰).
    let v0 = h0,
      v1 = h1,
      v2 = h2,
      v3 = h3;
    y0 = y1 = y2 = y3 = 0;
    for (let w = 0; w < 4; w++) {
      const word = w === 0 ? x0 : w === 1 ? x1 : w === 2 ? x2 : x3;
      for (let bit = 31; bit >= 0; bit--) {
        const mask = -((word >>> bit) & 1);
        y0 ^= v0 & mask;
        y1 ^= v1 & mask;
        y2 ^= v2 & mask;
        y3 ^= v3 & mask;
        const reduce = -(v3 & 1) & 0xe1000000;
        v3 = (v3 >>> 1) | (v2 << 31);
        v2 = (v2 >>> 1) | (v1 << 31);
        v1 = (v1 >>> 1) | (v0 << 31);
        v0 = (v0 >>> 1) ^ reduce;
      }
    }
  }
  const out = new Uint8Array(BLOCK_LENGTH);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, y0);
  outView.setUint32(4, y1);
  outView.setUint32(8, y2);
  outView.setUint32(12, y3);
  return out;
}
