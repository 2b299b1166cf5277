/**
 * The owner↔device channel (docs/protocol.md §17): messages between an owner and a paired
 * phone, relayed by the server, which can read and forge none of them. Each message is signed by
 * its sender (Ed25519) and sealed to its recipient with HPKE (RFC 9180: X25519, HKDF-SHA256,
 * ChaCha20-Poly1305, through the hpke-js packages: an audited-in-the-open implementation of the
 * RFC that runs on WebCrypto and noble in Node, browsers and Workers alike, rather than an HPKE of
 * our own). Mailboxes are addressed by ids derived from the pairing secret, new every day.
 */
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite } from '@hpke/core';
import { DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/dhkem-x25519';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concatBytes, expectLength } from './bytes.ts';
import { AuthenticationError, FormatError } from './errors.ts';

/** The secret both sides of a pairing hold; mailbox capabilities derive from it. */
export const PAIRING_SECRET_LENGTH = 32;
/** Ed25519 seeds, X25519 private keys and both kinds of public key. */
export const CHANNEL_KEY_LENGTH = 32;
/** A mailbox capability (what a request presents) and a mailbox id (its SHA-256, what the server keeps). */
export const MAILBOX_KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
const ENC_LENGTH = 32;
/** Plaintexts are padded to a multiple of this, so that a message's size says little of its kind. */
const PAD_TO = 256;
/** Most bytes of a message's body (JSON). */
export const MAX_MESSAGE_BODY = 4096;

const DAY_MS = 86_400_000;
const text = new TextEncoder();
const CAPABILITY_INFO = text.encode('crowdfind mailbox v1');
const CHANNEL_CONTEXT = text.encode('crowdfind channel v1');

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

/** One side's private keys. */
export interface ChannelKeys {
  /** Ed25519 seed. */
  readonly signingKey: Uint8Array;
  /** X25519 private key. */
  readonly encryptionKey: Uint8Array;
}

/** The other side's public keys. */
export interface PeerKeys {
  readonly signingPublicKey: Uint8Array;
  readonly encryptionPublicKey: Uint8Array;
}

/** Who a mailbox carries messages to, or the device's lost state. */
export type MailboxKind = 'to-device' | 'to-owner' | 'state';

/** @example const owner = newChannelKeys(); */
export function newChannelKeys(): ChannelKeys {
  return { signingKey: randomBytes(CHANNEL_KEY_LENGTH), encryptionKey: x25519.utils.randomSecretKey() };
}

/** @example const ownerPublic = publicKeysOf(owner); */
export function publicKeysOf(keys: ChannelKeys): PeerKeys {
  return {
    signingPublicKey: ed25519.getPublicKey(keys.signingKey),
    encryptionPublicKey: x25519.getPublicKey(keys.encryptionKey),
  };
}

/** The UTC day number of a time (Unix ms): mailboxes change at 00:00 UTC. */
export function channelDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/**
 * The capability for one kind of mailbox on one day: HMAC-SHA256(secret, "crowdfind mailbox v1" ‖
 * kind ‖ be32(day)). Whoever presents it may post to and read the mailbox; the server keeps only
 * its SHA-256 ({@link mailboxIdOf}).
 * @example mailboxCapability(secret, 'to-device', channelDay(Date.now()))
 */
export function mailboxCapability(secret: Uint8Array, kind: MailboxKind, day: number): Uint8Array {
  expectLength(secret, PAIRING_SECRET_LENGTH, 'pairing secret');
  const dayBytes = new Uint8Array(4);
  new DataView(dayBytes.buffer).setUint32(0, day);
  return hmac(sha256, secret, concatBytes(CAPABILITY_INFO, text.encode(kind), dayBytes));
}

/** The id a server files a mailbox under: SHA-256 of its capability. */
export function mailboxIdOf(capability: Uint8Array): Uint8Array {
  expectLength(capability, MAILBOX_KEY_LENGTH, 'mailbox capability');
  return sha256(capability);
}

/** What the sender signs: context, mailbox, the recipient's key (so a message cannot be re-sealed to another), body. */
function signedBytes(mailboxId: Uint8Array, recipient: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(CHANNEL_CONTEXT, mailboxId, sha256(recipient), body);
}

/**
 * Signs and seals a message body (any JSON value) for a mailbox: enc (32) ‖ HPKE ciphertext of
 * be16(length) ‖ body ‖ Ed25519 signature, zero-padded to a multiple of 256 bytes.
 * @example await sealChannelMessage({ type: 'ring', seq, expiresAt }, mailboxId, ownerKeys, devicePublic)
 */
export async function sealChannelMessage(
  body: unknown,
  mailboxId: Uint8Array,
  sender: ChannelKeys,
  recipient: PeerKeys,
): Promise<Uint8Array> {
  const bodyBytes = text.encode(JSON.stringify(body));
  if (bodyBytes.length > MAX_MESSAGE_BODY)
    throw new FormatError(`a message body is at most ${MAX_MESSAGE_BODY} bytes, got ${bodyBytes.length}`);
  const signature = ed25519.sign(signedBytes(mailboxId, recipient.encryptionPublicKey, bodyBytes), sender.signingKey);
  const length = 2 + bodyBytes.length + SIGNATURE_LENGTH;
  const plaintext = new Uint8Array(Math.ceil(length / PAD_TO) * PAD_TO);
  new DataView(plaintext.buffer).setUint16(0, bodyBytes.length);
  plaintext.set(bodyBytes, 2);
  plaintext.set(signature, 2 + bodyBytes.length);
  const { enc, ct } = await suite.seal(
    {
      recipientPublicKey: await suite.kem.deserializePublicKey(recipient.encryptionPublicKey as BufferSource),
      info: concatBytes(CHANNEL_CONTEXT, mailboxId) as BufferSource,
    },
    plaintext as BufferSource,
  );
  return concatBytes(new Uint8Array(enc), new Uint8Array(ct));
}

/**
 * Opens a message from a mailbox and checks its sender's signature; an
 * {@link AuthenticationError} for anything not sealed to `recipient` by `sender` for this mailbox.
 * @example const body = await openChannelMessage(sealed, mailboxId, deviceKeys, ownerPublic)
 */
export async function openChannelMessage(
  sealed: Uint8Array,
  mailboxId: Uint8Array,
  recipient: ChannelKeys,
  sender: PeerKeys,
): Promise<unknown> {
  if (sealed.length < ENC_LENGTH + 16) throw new AuthenticationError('the message is too short to be sealed');
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(
      await suite.open(
        {
          recipientKey: await suite.kem.deserializePrivateKey(recipient.encryptionKey as BufferSource),
          enc: sealed.slice(0, ENC_LENGTH) as BufferSource,
          info: concatBytes(CHANNEL_CONTEXT, mailboxId) as BufferSource,
        },
        sealed.slice(ENC_LENGTH) as BufferSource,
      ),
    );
  } catch {
    throw new AuthenticationError('the message was not sealed to this side of the pairing for this mailbox');
  }
  const length = new DataView(plaintext.buffer).getUint16(0);
  if (2 + length + SIGNATURE_LENGTH > plaintext.length) throw new AuthenticationError('the message is malformed');
  const body = plaintext.subarray(2, 2 + length);
  const signature = plaintext.subarray(2 + length, 2 + length + SIGNATURE_LENGTH);
  const ownPublic = x25519.getPublicKey(recipient.encryptionKey);
  if (!ed25519.verify(signature, signedBytes(mailboxId, ownPublic, body), sender.signingPublicKey))
    throw new AuthenticationError('the message is not signed by the other side of the pairing');
  return JSON.parse(new TextDecoder().decode(body));
}
