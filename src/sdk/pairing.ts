/**
 * Pairing an owner with a phone (docs/protocol.md §17): made on the owner's side and handed to
 * the phone directly (a file, or its QR-sized text), never registered with a server. Each side's
 * file holds the shared secret, its own private keys and the other side's public keys.
 */
import {
  base64ToBytes,
  bytesToBase64,
  CHANNEL_KEY_LENGTH,
  expectLength,
  FormatError,
  newChannelKeys,
  PAIRING_SECRET_LENGTH,
  publicKeysOf,
  type ChannelKeys,
  type PeerKeys,
} from '../../crypto/index.ts';
import { randomBytes } from '@noble/hashes/utils.js';

/** One side of a pairing. */
export interface Pairing {
  readonly role: 'owner' | 'device';
  /** The phone's name, for people. */
  readonly name: string;
  readonly secret: Uint8Array;
  readonly keys: ChannelKeys;
  readonly peer: PeerKeys;
}

/**
 * A new pairing: the owner's side and the device's.
 * @example const { owner, device } = newPairing('my phone');
 */
export function newPairing(name: string): { owner: Pairing; device: Pairing } {
  const secret = randomBytes(PAIRING_SECRET_LENGTH);
  const ownerKeys = newChannelKeys();
  const deviceKeys = newChannelKeys();
  return {
    owner: { role: 'owner', name, secret, keys: ownerKeys, peer: publicKeysOf(deviceKeys) },
    device: { role: 'device', name, secret, keys: deviceKeys, peer: publicKeysOf(ownerKeys) },
  };
}

/** A pairing as its file holds it. */
export function pairingJson(pairing: Pairing): string {
  return (
    JSON.stringify(
      {
        crowdfindPairing: 1,
        role: pairing.role,
        name: pairing.name,
        secret: bytesToBase64(pairing.secret),
        signingKey: bytesToBase64(pairing.keys.signingKey),
        encryptionKey: bytesToBase64(pairing.keys.encryptionKey),
        peerSigningPublicKey: bytesToBase64(pairing.peer.signingPublicKey),
        peerEncryptionPublicKey: bytesToBase64(pairing.peer.encryptionPublicKey),
      },
      null,
      2,
    ) + '\n'
  );
}

/**
 * Reads a pairing file; anything else is a {@link FormatError} that says what is wrong.
 * @example readPairing(readFileSync('phone.owner.json', 'utf8'))
 */
export function readPairing(text: string): Pairing {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new FormatError('a pairing file is JSON, as crowdfind pair writes it');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new FormatError('not a Crowdfind pairing file');
  if (parsed.crowdfindPairing !== 1 || (parsed.role !== 'owner' && parsed.role !== 'device'))
    throw new FormatError(
      'type' in parsed || 'privateKey' in parsed || Array.isArray(parsed)
        ? 'this is a key file, not a pairing file: --keys takes it (crowdfind pair writes pairing files)'
        : 'not a Crowdfind pairing file (crowdfind pair writes them)',
    );
  const field = (name: string, length: number) => {
    const value = parsed[name];
    if (typeof value !== 'string') throw new FormatError(`the pairing file has no ${name}`);
    return expectLength(base64ToBytes(value), length, name);
  };
  return {
    role: parsed.role,
    name: typeof parsed.name === 'string' ? parsed.name : 'device',
    secret: field('secret', PAIRING_SECRET_LENGTH),
    keys: {
      signingKey: field('signingKey', CHANNEL_KEY_LENGTH),
      encryptionKey: field('encryptionKey', CHANNEL_KEY_LENGTH),
    },
    peer: {
      signingPublicKey: field('peerSigningPublicKey', CHANNEL_KEY_LENGTH),
      encryptionPublicKey: field('peerEncryptionPublicKey', CHANNEL_KEY_LENGTH),
    },
  };
}
