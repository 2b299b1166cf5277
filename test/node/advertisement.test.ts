import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addressOf,
  bytesToHex,
  decodeAdvertisement,
  encodeAdvertisement,
  encodeNearbyAdvertisement,
  formatAddress,
  FormatError,
  hciAddressOf,
  hexToBytes,
  keyPairOf,
  parseAddress,
  base64ToBytes,
} from '../../crypto/index.ts';
import { vectors } from './vectors.ts';

describe('advertisement vectors', () => {
  it('builds the address and the 31-byte advertisement with status 0x10', () => {
    const v = vectors.advertisement;
    const key = keyPairOf(hexToBytes(v.private_key_hex)).advertisementKey;
    expect(bytesToHex(key)).toBe(v.adv_key_hex);
    expect(formatAddress(addressOf(key))).toBe(v.ble_random_static_address);
    expect(bytesToHex(hciAddressOf(key))).toBe(v.ble_address_hci_lsb_first_hex);
    const ad = encodeAdvertisement(key, { status: v.status, hint: v.hint });
    expect(bytesToHex(ad)).toBe(v.ad_structure_31_bytes_hex);
    expect(bytesToHex(ad.subarray(2))).toBe(v.manufacturer_data_hex);
  });

  for (const v of vectors.keys) {
    it(`encodes and decodes both forms for ${v.label}`, () => {
      const key = hexToBytes(v.adv_key_hex);
      const address = addressOf(key);
      expect(formatAddress(address)).toBe(v.ble_address);
      expect(bytesToHex(hciAddressOf(key))).toBe(v.ble_address_hci_lsb_first_hex);
      const options = { status: v.advertisement.status, hint: v.advertisement.hint };
      expect(bytesToHex(encodeAdvertisement(key, options))).toBe(v.advertisement.ad_structure_hex);
      expect(bytesToHex(encodeNearbyAdvertisement(key, options))).toBe(v.advertisement.nearby_ad_structure_hex);
      for (const data of [v.advertisement.ad_structure_hex, v.advertisement.manufacturer_data_hex]) {
        expect(decodeAdvertisement(parseAddress(v.ble_address), hexToBytes(data))).toEqual({
          kind: 'separated',
          advertisementKey: key,
          ...options,
        });
      }
      for (const data of [v.advertisement.nearby_ad_structure_hex, v.advertisement.nearby_manufacturer_data_hex]) {
        expect(decodeAdvertisement(address, hexToBytes(data))).toEqual({
          kind: 'nearby',
          advertisementKeyPrefix: key.subarray(0, 6),
          status: options.status,
        });
      }
    });
  }

  it('reproduces the upstream address and advertisement tests', () => {
    const rust = vectors.upstream_key_vectors.find((v) => v.expected_ble_address_hex)!;
    expect(formatAddress(addressOf(base64ToBytes(rust.adv_key_b64!))).replaceAll(':', '')).toBe(
      rust.expected_ble_address_hex,
    );
    const openHaystack = vectors.upstream_key_vectors.find((v) => v.expected_public_key_payload_hex)!;
    const decoded = decodeAdvertisement(
      parseAddress('C0:00:00:00:00:00'),
      hexToBytes(openHaystack.manufacturer_data_hex!),
    );
    expect(decoded.kind).toBe('separated');
    if (decoded.kind === 'separated')
      expect(bytesToHex(decoded.advertisementKey.subarray(6))).toBe(openHaystack.expected_public_key_payload_hex);
  });
});

describe('advertisement round trip', () => {
  it('recovers any key, status and hint from address and advertisement', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 28, maxLength: 28 }), fc.nat(255), fc.nat(255), (key, status, hint) => {
        const ad = encodeAdvertisement(key, { status, hint });
        expect(decodeAdvertisement(addressOf(key), ad)).toEqual({
          kind: 'separated',
          advertisementKey: key,
          status,
          hint,
        });
      }),
    );
  });

  it('rejects data that is not an offline-finding advertisement, with the reason', () => {
    const address = parseAddress('C8:09:6E:82:FF:AB');
    expect(() => decodeAdvertisement(address, new Uint8Array(30))).toThrow(/29- or 6-byte manufacturer data/);
    expect(() =>
      decodeAdvertisement(address, hexToBytes('4c00100500000000000000000000000000000000000000000000000000')),
    ).toThrow(/4c 00 12/);
    expect(() =>
      decodeAdvertisement(address, hexToBytes('4c00121800000000000000000000000000000000000000000000000000')),
    ).toThrow(FormatError);
    expect(() => parseAddress('C8:09:6E:82:FF')).toThrow(FormatError);
    expect(() => encodeAdvertisement(new Uint8Array(28), { status: 256 })).toThrow(FormatError);
  });
});
