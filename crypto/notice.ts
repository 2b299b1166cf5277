/**
 * Lost-mode notices (docs/protocol.md §13): the owner's message and contact for whoever finds an
 * item, readable only by someone who received the item's advertisement key, signed by that key's
 * private key so that nobody else who heard the item can plant one. The server keeps them indexed
 * by hashed id and sees ciphertext of one fixed length.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ecdsa } from '@noble/curves/abstract/weierstrass.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concatBytes, expectLength } from './bytes.ts';
import { AuthenticationError, FormatError } from './errors.ts';
import { x963Kdf } from './kdf.ts';
import { ADVERTISEMENT_KEY_LENGTH, HASHED_ID_LENGTH, hashedIdOf, keyPairOf, PRIVATE_KEY_LENGTH } from './keys.ts';
import { FIELD_LENGTH, liftX, P224 } from './p224.ts';

/** Format version, the plaintext's first byte. */
export const NOTICE_VERSION = 1;
/** Most UTF-8 bytes of the owner's message. */
export const MAX_MESSAGE_BYTES = 200;
/** Most bytes of the contact (a phone number or an e-mail address, ASCII). */
export const MAX_CONTACT_BYTES = 64;
/** ECDSA P-224 signature r ‖ s. */
export const NOTICE_SIGNATURE_LENGTH = 2 * FIELD_LENGTH;
/** AES-256-GCM nonce, drawn afresh for every notice. */
export const NOTICE_NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** version ‖ expiresAt ‖ contact kind ‖ contact length ‖ contact ‖ message length ‖ message ‖ signature. */
const PLAINTEXT_LENGTH = 1 + 4 + 1 + 1 + MAX_CONTACT_BYTES + 1 + MAX_MESSAGE_BYTES + NOTICE_SIGNATURE_LENGTH;
/** Every sealed notice is this long, whatever it says: nonce ‖ ciphertext ‖ tag. */
export const NOTICE_LENGTH = NOTICE_NONCE_LENGTH + PLAINTEXT_LENGTH + TAG_LENGTH;
/** A withdrawal token; the server keeps only its SHA-256. */
export const WITHDRAW_TOKEN_LENGTH = 32;

const NOTICE_KEY_INFO = new TextEncoder().encode('crowdfind notice key');
const SIGNATURE_CONTEXT = new TextEncoder().encode('crowdfind notice v1');
const WITHDRAW_INFO = new TextEncoder().encode('crowdfind notice withdraw');

const p224Ecdsa = ecdsa(P224, sha256);

/** How the finder can reach the owner. */
export interface Contact {
  readonly kind: 'phone' | 'email';
  readonly value: string;
}

/** What a notice says. */
export interface NoticeContent {
  readonly message: string;
  readonly contact: Contact;
  /** Unix seconds; the server drops the notice then. */
  readonly expiresAt: number;
}

const CONTACT_KINDS = ['phone', 'email'] as const;
// `*` stands for a hidden character (hideContact).
const PHONE = /^\+?[0-9*][0-9* ()-]{2,30}$/;
const EMAIL = /^[A-Za-z0-9._%+*-]{1,40}@[A-Za-z0-9.*-]{1,40}\.[A-Za-z]{2,}$/;
/** C0 and C1 controls, bidi overrides and isolates: nothing that can disguise what a finder reads. */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Checks a contact and returns it trimmed: a phone number (digits, spaces, `()-`, an optional
 * leading `+`, 4 to 15 digits) or an e-mail address, either with `*` for hidden characters.
 * Shown to finders as text, never as a link.
 * @example parseContact('+44 20 7946 0000') // { kind: 'phone', value: '+44 20 7946 0000' }
 */
export function parseContact(text: string): Contact {
  const value = text.trim();
  const digits = value.replace(/[^0-9*]/g, '').length;
  if (PHONE.test(value) && digits >= 4 && digits <= 15) return { kind: 'phone', value };
  if (EMAIL.test(value) && value.length <= MAX_CONTACT_BYTES) return { kind: 'email', value };
  throw new FormatError('a contact is a phone number (4 to 15 digits, optional +) or an e-mail address');
}

/**
 * A contact partly hidden, as DULT's owner-information lookup shows one unless the owner chooses
 * otherwise: a phone number keeps its last 4 digits (2 when it has fewer than 8), an e-mail
 * address the first character of its name and domain and the top-level domain. Done by the owner
 * before sealing, so a finder is never given the rest.
 * @example hideContact(parseContact('bob@icloud.com')).value // 'b***@i***.com'
 * @example hideContact(parseContact('+44 20 7946 0018')).value // '+** ** **** 0018'
 */
export function hideContact(contact: Contact): Contact {
  if (contact.kind === 'email') {
    const [name, domain] = contact.value.split('@') as [string, string];
    const top = domain.slice(domain.lastIndexOf('.'));
    return { kind: 'email', value: `${name[0]}***@${domain[0]}***${top}` };
  }
  const digits = contact.value.replace(/\D/g, '').length;
  let hide = digits - (digits >= 8 ? 4 : 2);
  return { kind: 'phone', value: contact.value.replace(/\d/g, (d) => (hide-- > 0 ? '*' : d)) };
}

/**
 * Checks a message: 1 to {@link MAX_MESSAGE_BYTES} UTF-8 bytes, no control or bidi characters.
 * @example parseMessage('Reward if found') // 'Reward if found'
 */
export function parseMessage(text: string): string {
  const message = text.trim();
  const length = new TextEncoder().encode(message).length;
  if (length === 0 || length > MAX_MESSAGE_BYTES) {
    throw new FormatError(`a message is 1 to ${MAX_MESSAGE_BYTES} UTF-8 bytes, got ${length}`);
  }
  if (UNSAFE_TEXT.test(message)) throw new FormatError('a message may not hold control or text-direction characters');
  return message;
}

/**
 * The AES-256 key of the notices for one advertisement key: X9.63 KDF over the key itself. A
 * finder who received the advertisement has it; the server, which knows only its SHA-256, does not.
 * @example noticeKeyOf(advertisementKey).length // 32
 */
export function noticeKeyOf(advertisementKey: Uint8Array): Uint8Array {
  expectLength(advertisementKey, ADVERTISEMENT_KEY_LENGTH, 'advertisement key');
  return x963Kdf(advertisementKey, NOTICE_KEY_INFO, 32);
}

/**
 * The token that withdraws the notice of one key, derived from its private key so that the owner
 * needs nothing beyond the key file to withdraw; the server is sent its SHA-256 at publication.
 * @example withdrawTokenOf(privateKey).length // 32
 */
export function withdrawTokenOf(privateKey: Uint8Array): Uint8Array {
  expectLength(privateKey, PRIVATE_KEY_LENGTH, 'private key');
  return x963Kdf(privateKey, WITHDRAW_INFO, WITHDRAW_TOKEN_LENGTH);
}

/**
 * SHA-256 of a withdrawal token: what the server stores and compares.
 * @example withdrawHashOf(withdrawTokenOf(privateKey))
 */
export function withdrawHashOf(token: Uint8Array): Uint8Array {
  expectLength(token, WITHDRAW_TOKEN_LENGTH, 'withdraw token');
  return sha256(token);
}

/** Associated data: the notice is bound to its id and to the expiry the server stores beside it. */
function associatedData(hashedId: Uint8Array, expiresAt: number): Uint8Array {
  const aad = new Uint8Array(HASHED_ID_LENGTH + 4);
  aad.set(hashedId);
  new DataView(aad.buffer).setUint32(HASHED_ID_LENGTH, expiresAt);
  return aad;
}

function checkExpiry(expiresAt: number): void {
  if (!Number.isInteger(expiresAt) || expiresAt < 0 || expiresAt > 0xffffffff) {
    throw new FormatError('expiresAt must be Unix seconds that fit in 32 bits');
  }
}

/** The plaintext up to its signature. */
function encodeBody({ message, contact, expiresAt }: NoticeContent): Uint8Array {
  checkExpiry(expiresAt);
  const checked = parseContact(contact.value);
  if (checked.kind !== contact.kind) throw new FormatError(`the contact is not a valid ${contact.kind}`);
  const contactBytes = new TextEncoder().encode(checked.value);
  const messageBytes = new TextEncoder().encode(parseMessage(message));
  const body = new Uint8Array(PLAINTEXT_LENGTH - NOTICE_SIGNATURE_LENGTH);
  const view = new DataView(body.buffer);
  body[0] = NOTICE_VERSION;
  view.setUint32(1, expiresAt);
  body[5] = CONTACT_KINDS.indexOf(checked.kind) + 1;
  body[6] = contactBytes.length;
  body.set(contactBytes, 7);
  body[7 + MAX_CONTACT_BYTES] = messageBytes.length;
  body.set(messageBytes, 8 + MAX_CONTACT_BYTES);
  return body;
}

/** What the owner signs: a context string, the id, and the plaintext before the signature. */
function signedBytes(hashedId: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_CONTEXT, hashedId, body);
}

/**
 * Seals a notice for the key pair `privateKey` belongs to. The signature is inside the
 * encryption: an ECDSA signature over a known message reveals its public key, which here is the
 * advertisement key, and with it the notice key.
 * @example sealNotice(privateKey, { message: 'Please call', contact: parseContact('+15550100'), expiresAt })
 */
export function sealNotice(
  privateKey: Uint8Array,
  content: NoticeContent,
  nonce: Uint8Array = randomBytes(NOTICE_NONCE_LENGTH),
): Uint8Array {
  expectLength(nonce, NOTICE_NONCE_LENGTH, 'notice nonce');
  const { advertisementKey, hashedId } = keyPairOf(privateKey);
  const body = encodeBody(content);
  const signature = p224Ecdsa.sign(signedBytes(hashedId, body), privateKey);
  const cipher = gcm(noticeKeyOf(advertisementKey), nonce, associatedData(hashedId, content.expiresAt));
  return concatBytes(nonce, cipher.encrypt(concatBytes(body, signature)));
}

/**
 * Opens a notice fetched for `advertisementKey` with the expiry the server stored beside it, and
 * checks that the key's owner signed it. An {@link AuthenticationError} when it cannot be
 * decrypted or is not signed by that key (a forgery: never show it); a {@link FormatError} when
 * it is signed but not well formed.
 * @example openNotice(advertisementKey, sealed, expiresAt).message
 */
export function openNotice(advertisementKey: Uint8Array, sealed: Uint8Array, expiresAt: number): NoticeContent {
  expectLength(sealed, NOTICE_LENGTH, 'notice');
  checkExpiry(expiresAt);
  const hashedId = hashedIdOf(advertisementKey);
  let plaintext: Uint8Array;
  try {
    const cipher = gcm(
      noticeKeyOf(advertisementKey),
      sealed.subarray(0, NOTICE_NONCE_LENGTH),
      associatedData(hashedId, expiresAt),
    );
    plaintext = cipher.decrypt(sealed.subarray(NOTICE_NONCE_LENGTH));
  } catch {
    throw new AuthenticationError('the notice does not decrypt under this advertisement key');
  }
  const body = plaintext.subarray(0, PLAINTEXT_LENGTH - NOTICE_SIGNATURE_LENGTH);
  const signature = plaintext.subarray(PLAINTEXT_LENGTH - NOTICE_SIGNATURE_LENGTH);
  // The advertisement key is only x: the owner's point is one of its two lifts.
  const even = liftX(advertisementKey);
  const signed = signedBytes(hashedId, body);
  const valid = [even, even.negate()].some((point) => p224Ecdsa.verify(signature, signed, point.toBytes(false)));
  if (!valid) throw new AuthenticationError('the notice is not signed by the key it was published for');
  return decodeBody(body, expiresAt);
}

function decodeBody(body: Uint8Array, expiresAt: number): NoticeContent {
  if (body[0] !== NOTICE_VERSION) throw new FormatError(`unknown notice version ${body[0]}`);
  if (new DataView(body.buffer, body.byteOffset).getUint32(1) !== expiresAt) {
    throw new FormatError('the notice states another expiry than the one stored with it');
  }
  const kind = CONTACT_KINDS[body[5]! - 1];
  const contactLength = body[6]!;
  const messageLength = body[7 + MAX_CONTACT_BYTES]!;
  if (!kind || contactLength > MAX_CONTACT_BYTES || messageLength > MAX_MESSAGE_BYTES) {
    throw new FormatError('the notice is malformed');
  }
  const start = 8 + MAX_CONTACT_BYTES;
  const contact = parseContact(utf8(body.subarray(7, 7 + contactLength)));
  if (contact.kind !== kind) throw new FormatError('the notice is malformed');
  return { message: parseMessage(utf8(body.subarray(start, start + messageLength))), contact, expiresAt };
}

function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FormatError('the notice holds text that is not UTF-8');
  }
}
