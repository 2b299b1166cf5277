/**
 * The Bluetooth side of an accessory (docs/protocol.md §6): the random static address and the
 * offline-finding advertisement built from an advertisement key, and their inverse, which a
 * finder uses to rebuild the key it must seal a report to.
 */
import { expectByte, expectLength } from './bytes.ts';
import { FormatError } from './errors.ts';
import { ADVERTISEMENT_KEY_LENGTH } from './keys.ts';

/** A BLE device address. */
export const ADDRESS_LENGTH = 6;
/** The separated ("lost") advertisement's AD structure: length, type, then 29 bytes of data. */
export const AD_STRUCTURE_LENGTH = 31;
/** The manufacturer-specific data inside it, from Apple's company id on. */
export const MANUFACTURER_DATA_LENGTH = 29;
/** The nearby advertisement's AD structure (official accessories near their owner). */
export const NEARBY_AD_STRUCTURE_LENGTH = 8;
/** The nearby advertisement's manufacturer data. */
export const NEARBY_MANUFACTURER_DATA_LENGTH = 6;

const AD_TYPE_MANUFACTURER_SPECIFIC = 0xff;
const APPLE_COMPANY_ID = [0x4c, 0x00] as const; // 0x004C, little-endian
const OFFLINE_FINDING_TYPE = 0x12;
const SEPARATED_DATA_LENGTH = 0x19;
const NEARBY_DATA_LENGTH = 0x02;
const STATIC_ADDRESS_BITS = 0xc0;
/** Key bytes 6..27 travel in the payload; bytes 0..5 are the address. */
const KEY_BYTES_IN_ADDRESS = ADDRESS_LENGTH;

/** What a separated advertisement carries: the whole key. */
export interface SeparatedAdvertisement {
  readonly kind: 'separated';
  readonly advertisementKey: Uint8Array;
  readonly status: number;
  readonly hint: number;
}

/**
 * What a nearby advertisement carries: only the address and two more bits, i.e. the first
 * 6 bytes of the key. A finder cannot seal a report to it.
 */
export interface NearbyAdvertisement {
  readonly kind: 'nearby';
  readonly advertisementKeyPrefix: Uint8Array;
  readonly status: number;
}

export type DecodedAdvertisement = SeparatedAdvertisement | NearbyAdvertisement;

/**
 * The random static address in display order (most significant byte first), as in
 * `AA:BB:CC:DD:EE:FF`: key bytes 0..5 with the top two bits forced to 1.
 * @example formatAddress(addressOf(advertisementKey)) // 'C8:09:6E:82:FF:AB'
 */
export function addressOf(advertisementKey: Uint8Array): Uint8Array {
  expectLength(advertisementKey, ADVERTISEMENT_KEY_LENGTH, 'advertisement key');
  const address = advertisementKey.slice(0, ADDRESS_LENGTH);
  address[0]! |= STATIC_ADDRESS_BITS;
  return address;
}

/**
 * The address in HCI byte order (least significant byte first), as `LE Set Random Address`,
 * Nordic and micro:bit firmware expect it.
 * @example hciAddressOf(advertisementKey) // reversed addressOf()
 */
export function hciAddressOf(advertisementKey: Uint8Array): Uint8Array {
  return addressOf(advertisementKey).reverse();
}

/** `AA:BB:CC:DD:EE:FF` from 6 bytes in display order. */
export function formatAddress(address: Uint8Array): string {
  expectLength(address, ADDRESS_LENGTH, 'address');
  return Array.from(address, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/**
 * Reads `AA:BB:CC:DD:EE:FF` (also `-` separated or bare hex, either case) into 6 bytes in
 * display order.
 */
export function parseAddress(text: string): Uint8Array {
  const hex = text.trim().replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw new FormatError(`not a Bluetooth address: expected AA:BB:CC:DD:EE:FF`);
  return Uint8Array.from({ length: ADDRESS_LENGTH }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

/**
 * The 31-byte separated advertisement (docs/protocol.md §6.2): `1e ff 4c 00 12 19 status key[6..28) key[0]>>6 hint`.
 * @example encodeAdvertisement(advertisementKey, { status: 0x10 })
 */
export function encodeAdvertisement(
  advertisementKey: Uint8Array,
  options: { status?: number; hint?: number } = {},
): Uint8Array {
  expectLength(advertisementKey, ADVERTISEMENT_KEY_LENGTH, 'advertisement key');
  const out = new Uint8Array(AD_STRUCTURE_LENGTH);
  out.set([
    AD_STRUCTURE_LENGTH - 1,
    AD_TYPE_MANUFACTURER_SPECIFIC,
    ...APPLE_COMPANY_ID,
    OFFLINE_FINDING_TYPE,
    SEPARATED_DATA_LENGTH,
  ]);
  out[6] = expectByte(options.status ?? 0, 'status');
  out.set(advertisementKey.subarray(KEY_BYTES_IN_ADDRESS), 7);
  out[29] = advertisementKey[0]! >> 6;
  out[30] = expectByte(options.hint ?? 0, 'hint');
  return out;
}

/**
 * The 8-byte nearby advertisement (docs/protocol.md §6.3): `07 ff 4c 00 12 02 status key[0]>>6`.
 * @example encodeNearbyAdvertisement(advertisementKey, { status: 0 })
 */
export function encodeNearbyAdvertisement(advertisementKey: Uint8Array, options: { status?: number } = {}): Uint8Array {
  expectLength(advertisementKey, ADVERTISEMENT_KEY_LENGTH, 'advertisement key');
  return Uint8Array.of(
    NEARBY_AD_STRUCTURE_LENGTH - 1,
    AD_TYPE_MANUFACTURER_SPECIFIC,
    ...APPLE_COMPANY_ID,
    OFFLINE_FINDING_TYPE,
    NEARBY_DATA_LENGTH,
    expectByte(options.status ?? 0, 'status'),
    advertisementKey[0]! >> 6,
  );
}

/**
 * Rebuilds what an advertisement says from the advertiser's address (display order) and the
 * advertising data as received: the AD structure (31 or 8 bytes) or its manufacturer data
 * (29 or 6 bytes). A nearby advertisement yields only the key's first 6 bytes.
 * @example decodeAdvertisement(parseAddress('C8:09:6E:82:FF:AB'), hexToBytes('1eff4c0012…'))
 */
export function decodeAdvertisement(address: Uint8Array, data: Uint8Array): DecodedAdvertisement {
  expectLength(address, ADDRESS_LENGTH, 'address');
  const manufacturerData = stripAdHeader(data);
  if (
    manufacturerData[0] !== APPLE_COMPANY_ID[0] ||
    manufacturerData[1] !== APPLE_COMPANY_ID[1] ||
    manufacturerData[2] !== OFFLINE_FINDING_TYPE
  ) {
    throw new FormatError('not an Apple offline-finding advertisement (expected 4c 00 12)');
  }
  const dataLength = manufacturerData[3];
  const status = manufacturerData[4]!;
  if (dataLength === SEPARATED_DATA_LENGTH && manufacturerData.length === MANUFACTURER_DATA_LENGTH) {
    const advertisementKey = new Uint8Array(ADVERTISEMENT_KEY_LENGTH);
    advertisementKey.set(address);
    advertisementKey[0] = ((manufacturerData[27]! & 0x03) << 6) | (address[0]! & 0x3f);
    advertisementKey.set(manufacturerData.subarray(5, 27), KEY_BYTES_IN_ADDRESS);
    return { kind: 'separated', advertisementKey, status, hint: manufacturerData[28]! };
  }
  if (dataLength === NEARBY_DATA_LENGTH && manufacturerData.length === NEARBY_MANUFACTURER_DATA_LENGTH) {
    const advertisementKeyPrefix = address.slice();
    advertisementKeyPrefix[0] = ((manufacturerData[5]! & 0x03) << 6) | (address[0]! & 0x3f);
    return { kind: 'nearby', advertisementKeyPrefix, status };
  }
  throw new FormatError(
    `offline-finding data length ${dataLength} does not match its ${manufacturerData.length} bytes`,
  );
}

function stripAdHeader(data: Uint8Array): Uint8Array {
  const isAdStructure =
    (data.length === AD_STRUCTURE_LENGTH || data.length === NEARBY_AD_STRUCTURE_LENGTH) &&
    data[0] === data.length - 1 &&
    data[1] === AD_TYPE_MANUFACTURER_SPECIFIC;
  if (isAdStructure) return data.subarray(2);
  if (data.length === MANUFACTURER_DATA_LENGTH || data.length === NEARBY_MANUFACTURER_DATA_LENGTH) return data;
  throw new FormatError(
    `advertising data must be the ${AD_STRUCTURE_LENGTH}- or ${NEARBY_AD_STRUCTURE_LENGTH}-byte AD structure or its ` +
      `${MANUFACTURER_DATA_LENGTH}- or ${NEARBY_MANUFACTURER_DATA_LENGTH}-byte manufacturer data, got ${data.length} bytes`,
  );
}
