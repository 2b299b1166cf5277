import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  bytesToHex,
  hexToBytes,
  mailboxCapability,
  mailboxIdOf,
  newChannelKeys,
  openChannelMessage,
  publicKeysOf,
  sealChannelMessage,
} from '../../crypto/index.ts';
import {
  EMPTY_WINDOW,
  MAX_SEQUENCE_JUMP,
  nextOf,
  SEQUENCE_WINDOW,
  sequenceRefusal,
  take,
} from '../../src/sdk/sequence-window.ts';
import { vectors } from './vectors.ts';

describe('channel vectors (sealed with Python cryptography’s HPKE and Ed25519)', () => {
  for (const v of vectors.channel) {
    const owner = {
      signingKey: hexToBytes(v.inputs.owner_signing_key_hex),
      encryptionKey: hexToBytes(v.inputs.owner_encryption_key_hex),
    };
    const device = {
      signingKey: hexToBytes(v.inputs.device_signing_key_hex),
      encryptionKey: hexToBytes(v.inputs.device_encryption_key_hex),
    };

    it(`${v.name}: derives the keys, capability and mailbox id`, () => {
      const ownerPublic = publicKeysOf(owner);
      expect(bytesToHex(ownerPublic.signingPublicKey)).toBe(v.intermediate.owner_signing_public_hex);
      expect(bytesToHex(ownerPublic.encryptionPublicKey)).toBe(v.intermediate.owner_encryption_public_hex);
      expect(bytesToHex(publicKeysOf(device).encryptionPublicKey)).toBe(v.intermediate.device_encryption_public_hex);
      const capability = mailboxCapability(hexToBytes(v.inputs.secret_hex), v.inputs.kind, v.inputs.day);
      expect(bytesToHex(capability)).toBe(v.intermediate.capability_hex);
      expect(bytesToHex(mailboxIdOf(capability))).toBe(v.intermediate.mailbox_id_hex);
    });

    it(`${v.name}: opens the message and checks the owner's signature`, async () => {
      const body = await openChannelMessage(
        hexToBytes(v.sealed_hex),
        hexToBytes(v.intermediate.mailbox_id_hex),
        device,
        publicKeysOf(owner),
      );
      expect(body).toEqual(JSON.parse(v.inputs.body));
    });
  }
});

describe('the owner↔device channel', () => {
  const secret = new Uint8Array(32).fill(7);
  const owner = newChannelKeys();
  const device = newChannelKeys();
  const mailbox = mailboxIdOf(mailboxCapability(secret, 'to-device', 20_000));

  it('derives mailbox capabilities as the protocol states (computed with openssl)', () => {
    // printf 'crowdfind mailbox v1to-device\x00\x00\x4e\x20' | openssl dgst -sha256 -mac HMAC -macopt hexkey:0707…07
    expect(bytesToHex(mailboxCapability(secret, 'to-device', 20_000))).toBe(
      '679297e69dcc9aaf2d3bdcc0ebf7f51982444de79140ed5cfcc55a80d56de1b0',
    );
  });

  it('opens what the other side sealed for this mailbox', async () => {
    const sealed = await sealChannelMessage({ type: 'ring', seq: 1 }, mailbox, owner, publicKeysOf(device));
    expect(sealed.length % 256).toBe(48 % 256); // enc (32) + tag (16) beside a padded plaintext
    expect(await openChannelMessage(sealed, mailbox, device, publicKeysOf(owner))).toEqual({ type: 'ring', seq: 1 });
  });

  it('refuses a message signed by another key, sealed for another mailbox or recipient, or altered', async () => {
    const stranger = newChannelKeys();
    const forged = await sealChannelMessage({ type: 'photo' }, mailbox, stranger, publicKeysOf(device));
    await expect(openChannelMessage(forged, mailbox, device, publicKeysOf(owner))).rejects.toThrow(/not signed by/);
    const genuine = await sealChannelMessage({ type: 'photo' }, mailbox, owner, publicKeysOf(device));
    const otherMailbox = mailboxIdOf(mailboxCapability(secret, 'to-device', 20_001));
    await expect(openChannelMessage(genuine, otherMailbox, device, publicKeysOf(owner))).rejects.toThrow(
      AuthenticationError,
    );
    await expect(openChannelMessage(genuine, mailbox, stranger, publicKeysOf(owner))).rejects.toThrow(
      AuthenticationError,
    );
    const altered = genuine.slice();
    altered[60]! ^= 1;
    await expect(openChannelMessage(altered, mailbox, device, publicKeysOf(owner))).rejects.toThrow(
      AuthenticationError,
    );
  });
});

describe('the phone’s window of command numbers', () => {
  it('takes each number once in any order within the window, and refuses one too old or too far ahead', () => {
    let window = EMPTY_WINDOW;
    for (const seq of [1, 3, 2, 70]) {
      expect(sequenceRefusal(seq, window), String(seq)).toBeUndefined();
      window = take(seq, window);
    }
    expect(sequenceRefusal(70, window)).toMatch(/^replayed/);
    expect(sequenceRefusal(3, window)).toMatch(/^too old/);
    expect(sequenceRefusal(6, window)).toMatch(/^too old/);
    expect(sequenceRefusal(7, window)).toBeUndefined();
    expect(sequenceRefusal(70 + MAX_SEQUENCE_JUMP + 1, window)).toMatch(/^too far ahead/);
    expect(sequenceRefusal(Date.now(), window)).toMatch(/^too far ahead/);
    expect(sequenceRefusal(0, window)).toMatch(/^malformed/);
    expect(window.taken).toEqual([70]);
    expect(nextOf(window)).toBe(71);
    expect(SEQUENCE_WINDOW).toBe(64);
  });
});
