import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  bytesToBase64,
  bytesToHex,
  FormatError,
  generatePrivateKey,
  hexToBytes,
  hideContact,
  keyPairOf,
  NOTICE_LENGTH,
  noticeKeyOf,
  openNotice,
  parseContact,
  parseMessage,
  sealNotice,
  withdrawHashOf,
  withdrawTokenOf,
  type NoticeContent,
} from '../../crypto/index.ts';
import { vectors } from './vectors.ts';

describe('notice vectors (computed with Python cryptography/OpenSSL)', () => {
  for (const v of vectors.notices) {
    const privateKey = hexToBytes(v.inputs.private_key_hex);
    const { advertisementKey, hashedId } = keyPairOf(privateKey);
    const content: NoticeContent = {
      message: v.inputs.message,
      contact: parseContact(v.inputs.contact),
      expiresAt: v.inputs.expires_at,
    };

    it(`${v.name}: seals byte for byte with the vector's nonce`, () => {
      expect(bytesToHex(advertisementKey)).toBe(v.intermediate.adv_key_hex);
      expect(bytesToBase64(hashedId)).toBe(v.intermediate.hashed_id_b64);
      expect(bytesToHex(noticeKeyOf(advertisementKey))).toBe(v.intermediate.notice_key_hex);
      const sealed = sealNotice(privateKey, content, hexToBytes(v.inputs.nonce_hex));
      expect(sealed.length).toBe(NOTICE_LENGTH);
      expect(bytesToHex(sealed)).toBe(v.notice_hex);
    });

    it(`${v.name}: opens to the vector's message and contact`, () => {
      expect(openNotice(advertisementKey, hexToBytes(v.notice_hex), v.inputs.expires_at)).toEqual(content);
      expect(content.contact.kind).toBe(v.inputs.contact_kind);
    });

    it(`${v.name}: derives the withdrawal token and the hash the server keeps`, () => {
      const token = withdrawTokenOf(privateKey);
      expect(bytesToHex(token)).toBe(v.withdraw_token_hex);
      expect(bytesToHex(withdrawHashOf(token))).toBe(v.withdraw_hash_hex);
    });
  }
});

describe('notices', () => {
  const owner = generatePrivateKey();
  const { advertisementKey } = keyPairOf(owner);
  const content: NoticeContent = {
    message: 'Mein Rucksack — bitte melden',
    contact: parseContact('finder@example.org'),
    expiresAt: 1_800_000_000,
  };

  it('are one fixed length whatever they say', () => {
    const short = sealNotice(owner, { ...content, message: 'x' });
    const long = sealNotice(owner, { ...content, message: 'y'.repeat(200) });
    expect([short.length, long.length]).toEqual([NOTICE_LENGTH, NOTICE_LENGTH]);
  });

  it('round-trip under either lift of the advertisement key (the owner key may have odd y)', () => {
    for (let i = 0; i < 6; i++) {
      const key = generatePrivateKey();
      const sealed = sealNotice(key, content);
      expect(openNotice(keyPairOf(key).advertisementKey, sealed, content.expiresAt)).toEqual(content);
    }
  });

  it('signed by another key are refused as forgeries, even when encrypted under the right notice key', () => {
    // A forger who heard the item knows its advertisement key, hence the notice key, but not its private key.
    const forged = sealNotice(generatePrivateKey(), content);
    expect(() => openNotice(advertisementKey, forged, content.expiresAt)).toThrow(AuthenticationError);
    const genuine = sealNotice(owner, content);
    expect(() =>
      openNotice(advertisementKey, tampered(genuine, advertisementKey, content.expiresAt), content.expiresAt),
    ).toThrow(/not signed by the key/);
  });

  it('with a changed expiry or a flipped bit do not open', () => {
    const sealed = sealNotice(owner, content);
    expect(() => openNotice(advertisementKey, sealed, content.expiresAt + 1)).toThrow(AuthenticationError);
    const flipped = sealed.slice();
    flipped[100]! ^= 1;
    expect(() => openNotice(advertisementKey, flipped, content.expiresAt)).toThrow(AuthenticationError);
  });

  it('refuse unsafe or oversized text and bad contacts', () => {
    expect(() => parseMessage('a\u202ebc')).toThrow(FormatError);
    expect(() => parseMessage('line\nbreak')).toThrow(FormatError);
    expect(() => parseMessage('z'.repeat(201))).toThrow(/1 to 200 UTF-8 bytes/);
    expect(() => parseMessage('  ')).toThrow(FormatError);
    expect(() => parseContact('javascript:alert(1)')).toThrow(FormatError);
    expect(() => parseContact('12')).toThrow(FormatError);
    expect(parseContact(' +1 (555) 010-0000 ')).toEqual({ kind: 'phone', value: '+1 (555) 010-0000' });
    expect(() => sealNotice(owner, { ...content, contact: { kind: 'phone', value: 'a@b.cd' } })).toThrow(FormatError);
  });

  it('hide a contact in part as DULT shows one, and open to exactly that hidden form', () => {
    for (const [full, hidden] of [
      ['bob@icloud.com', 'b***@i***.com'],
      ['owner-e2e@example.org', 'o***@e***.org'],
      ['a.b@mail.example.co.uk', 'a***@m***.uk'],
      ['+44 20 7946 0018', '+** ** **** 0018'],
      ['+1 (555) 010-0000', '+* (***) ***-0000'],
      ['5550100', '*****00'],
    ] as const) {
      const contact = hideContact(parseContact(full));
      expect(contact.value, full).toBe(hidden);
      expect(parseContact(hidden)).toEqual(contact);
      const sealed = sealNotice(owner, { ...content, contact });
      expect(openNotice(advertisementKey, sealed, content.expiresAt).contact).toEqual(contact);
    }
  });
});

/**
 * What anyone who heard the item can do: open the owner's notice with the notice key, change the
 * message, and seal it again under the same key, id and expiry.
 */
function tampered(genuine: Uint8Array, advertisementKey: Uint8Array, expiresAt: number): Uint8Array {
  const hashedId = sha256(advertisementKey);
  const aad = new Uint8Array(36);
  aad.set(hashedId);
  new DataView(aad.buffer).setUint32(32, expiresAt);
  const nonce = genuine.subarray(0, 12);
  const plaintext = gcm(noticeKeyOf(advertisementKey), nonce, aad).decrypt(genuine.subarray(12));
  plaintext.set(new TextEncoder().encode('Call 0900 premium'), 72);
  return new Uint8Array([...nonce, ...gcm(noticeKeyOf(advertisementKey), nonce, aad).encrypt(plaintext)]);
}
