/**
 * Photos over the channel (docs/protocol.md §17.4): the device encrypts the file under a fresh
 * key (ChaCha20-Poly1305), uploads the ciphertext in fixed-size chunks to its mailbox of the
 * day, and tells the owner the key in a sealed message; the owner downloads, decrypts and checks
 * the file's SHA-256. The server stores chunks it cannot read, all of one size.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64ToBytes, bytesToBase64, bytesToHex, channelDay, concatBytes } from '../../crypto/index.ts';
import { ATTACHMENT_CHUNK_BYTES, MAX_ATTACHMENT_CHUNKS } from '../contract/limits.ts';
import { mailboxOf, type ChannelOptions } from './channel.ts';
import { request, ServerError } from './http.ts';
import type { Pairing } from './pairing.ts';

const NONCE_LENGTH = 12;

/** What the sealed message tells the owner about an attachment. */
export interface AttachmentRef {
  /** 16 bytes, base64. */
  readonly attachment: string;
  readonly count: number;
  /** Bytes of nonce ‖ ciphertext ‖ tag before padding. */
  readonly length: number;
  /** The file's key, base64: only ever inside a sealed message. */
  readonly key: string;
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
}

/**
 * Encrypts and uploads a file from the device to its mailbox to the owner of today (or `options.day`).
 * @example const ref = await uploadAttachment(device, photoBytes, { server })
 */
export async function uploadAttachment(
  pairing: Pairing,
  file: Uint8Array,
  options: ChannelOptions,
): Promise<AttachmentRef> {
  const key = randomBytes(32);
  const id = randomBytes(16);
  const nonce = randomBytes(NONCE_LENGTH);
  const sealed = concatBytes(nonce, chacha20poly1305(key, nonce, id).encrypt(file));
  const count = Math.ceil(sealed.length / ATTACHMENT_CHUNK_BYTES);
  if (count > MAX_ATTACHMENT_CHUNKS)
    throw new ServerError(`the file is larger than ${(MAX_ATTACHMENT_CHUNKS * ATTACHMENT_CHUNK_BYTES) / 2 ** 20} MiB`);
  const padded = new Uint8Array(count * ATTACHMENT_CHUNK_BYTES);
  padded.set(sealed);
  const capability = bytesToBase64(mailboxOf(pairing, 'out', options.day ?? channelDay(options.now ?? Date.now())));
  for (let index = 0; index < count; index++) {
    const chunk = padded.subarray(index * ATTACHMENT_CHUNK_BYTES, (index + 1) * ATTACHMENT_CHUNK_BYTES);
    await request(
      options.server,
      '/v1/mailboxes/attachments',
      {
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({ capability, attachment: bytesToBase64(id), index, chunk: bytesToBase64(chunk) }),
      },
      options,
    );
  }
  return {
    attachment: bytesToBase64(id),
    count,
    length: sealed.length,
    key: bytesToBase64(key),
    sha256: bytesToHex(sha256(file)),
  };
}

/**
 * Downloads an attachment the other side posted on `day`, decrypts it and checks its SHA-256.
 * @example const photo = await downloadAttachment(owner, message.day, message.body as AttachmentRef, { server })
 */
export async function downloadAttachment(
  pairing: Pairing,
  day: number,
  ref: AttachmentRef,
  options: ChannelOptions,
): Promise<Uint8Array> {
  const capability = bytesToBase64(mailboxOf(pairing, 'in', day));
  const chunks: Uint8Array[] = [];
  for (let index = 0; index < ref.count; index++) {
    const response = await (options.fetch ?? fetch)(`${options.server}/v1/mailboxes/attachments/read`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capability, attachment: ref.attachment, index }),
    });
    if (!response.ok) throw new ServerError(`chunk ${index} of the attachment: the server answered ${response.status}`);
    chunks.push(new Uint8Array(await response.arrayBuffer()));
  }
  const sealed = concatBytes(...chunks).subarray(0, ref.length);
  let file: Uint8Array;
  try {
    file = chacha20poly1305(
      base64ToBytes(ref.key),
      sealed.subarray(0, NONCE_LENGTH),
      base64ToBytes(ref.attachment),
    ).decrypt(sealed.subarray(NONCE_LENGTH));
  } catch {
    throw new ServerError('the attachment does not decrypt: it was altered or is incomplete');
  }
  if (bytesToHex(sha256(file)) !== ref.sha256) throw new ServerError('the attachment is not the file the device sent');
  return file;
}
