/** `crowdfind keys show`: the key in force at a time, with everything firmware and finders need. */
import {
  addressOf,
  bytesToBase64,
  bytesToHex,
  encodeAdvertisement,
  formatAddress,
  keyPairOf,
  type KeyPair,
} from '../../../crypto/index.ts';
import { isRolling, type Device } from '../../sdk/key-files.ts';
import { parse, parseTime, required, UsageError } from '../args.ts';
import { readDevices, type Command } from '../io.ts';

function keyMaterial(device: Device, pair: KeyPair, kind: string, index: number) {
  const advertisementKeys =
    device.keys.kind === 'fixed'
      ? device.keys.privateKeys.map((d) => keyPairOf(d).advertisementKey)
      : [pair.advertisementKey];
  return {
    device: device.name,
    kind,
    index,
    privateKey: bytesToBase64(pair.privateKey),
    advertisementKey: bytesToBase64(pair.advertisementKey),
    hashedId: bytesToBase64(pair.hashedId),
    bleAddress: formatAddress(addressOf(pair.advertisementKey)),
    advertisementHex: bytesToHex(encodeAdvertisement(pair.advertisementKey)),
    // OpenHaystack firmware takes the advertisement key; macless-haystack's key file is a count byte then 28-byte keys.
    openHaystackKey: bytesToBase64(pair.advertisementKey),
    maclessKeyfileHex: bytesToHex(Uint8Array.of(advertisementKeys.length, ...advertisementKeys.flatMap((k) => [...k]))),
  };
}

export const keysShowCommand: Command = {
  help: `crowdfind keys show --keys FILE [--at TIME]

For each device in FILE, the key in force at TIME (default now) as JSON: private key,
advertisement key, hashed id, BLE address, the 31-byte advertisement, and firmware key
material (OpenHaystack: the advertisement key; macless-haystack: its key file in hex).
TIME is ISO 8601 or relative to now (7d, 12h, 30m). A rolling accessory counts as real ones
do: primary key 1 during the first 15 minutes after pairing, then one more every 15 minutes
(FindMy.py's get_max_index names one lower; docs/protocol.md §7.4).`,

  async run(args, io) {
    const values = parse(args, { keys: { type: 'string' }, at: { type: 'string' } });
    const now = io.now?.() ?? new Date();
    const at = values.at ? parseTime(values.at as string, now) : now;
    const shown = readDevices(required(values, 'keys')).map((device) => {
      if (!isRolling(device)) return keyMaterial(device, keyPairOf(device.keys.privateKeys[0]!), 'fixed', 0);
      if (at < device.keys.pairedAt)
        throw new UsageError(
          `${device.name} was paired at ${device.keys.pairedAt.toISOString()}: it broadcast nothing at ${at.toISOString()}`,
        );
      const index = device.accessory.primaryIndexAt(at);
      return keyMaterial(device, device.accessory.primaryKey(index), 'primary', index);
    });
    io.stdout(JSON.stringify(shown, null, 2) + '\n');
  },
};
