/**
 * Reading and writing the key files owners already hold, detected by content:
 * FindMy.py JSON (`keypair`, `accessory`, `custom_rolling_key_accessory`), macless-haystack
 * `devices.json`, biemster/macless `.keys` text, a bare base64 private key, and Apple's
 * 85-byte key blob (docs/protocol.md §9, §1.2). Pure: bytes in, devices out.
 */
import {
  APPLE_PRIVATE_KEY_LENGTH,
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  FixedKeyAccessory,
  FormatError,
  hexToBytes,
  PAIRING_INDEX,
  parsePrivateKey,
  parsePrivateKeyText,
  RollingAccessory,
  SECRET_LENGTH,
  type RollingAccessoryKeys,
} from '../../crypto/index.ts';

export type FixedKeys = { readonly kind: 'fixed'; readonly privateKeys: readonly Uint8Array[] };
export type RollingKeys = { readonly kind: 'rolling' } & RollingAccessoryKeys;
export type DeviceKeys = FixedKeys | RollingKeys;

export type FixedDevice = { readonly name: string; readonly keys: FixedKeys; readonly accessory: FixedKeyAccessory };
export type RollingDevice = { readonly name: string; readonly keys: RollingKeys; readonly accessory: RollingAccessory };

/**
 * One accessory from a key file, with the name the file gives it and the key material as
 * read (for writing it back out); `keys.kind` tells which accessory it is ({@link isRolling}).
 */
export type Device = FixedDevice | RollingDevice;

/**
 * Narrows a device to a rolling one: its keys and its accessory together.
 * @example if (isRolling(device)) device.accessory.primaryIndexAt(new Date())
 */
export function isRolling(device: Device): device is RollingDevice {
  return device.keys.kind === 'rolling';
}

/** A device from its key material. */
export function deviceOf(name: string, keys: DeviceKeys): Device {
  return keys.kind === 'fixed'
    ? { name, keys, accessory: new FixedKeyAccessory(keys.privateKeys) }
    : { name, keys, accessory: new RollingAccessory(keys) };
}

/**
 * Every device in a key file, whatever its format. `fallbackName` names devices the file
 * does not name (usually the file's name).
 * @example readKeyFile(readFileSync('airtag.json'), 'airtag')
 */
export function readKeyFile(content: Uint8Array, fallbackName: string): Device[] {
  if (content.length === APPLE_PRIVATE_KEY_LENGTH && content[0] === 0x04)
    return [deviceOf(fallbackName, { kind: 'fixed', privateKeys: [parsePrivateKey(content)] })];
  const text = new TextDecoder().decode(content).trim();
  if (text.startsWith('{') || text.startsWith('[')) return readJsonKeys(parseJson(text), fallbackName);
  const keysLines = [...text.matchAll(/^\s*Private key:\s*(\S+)\s*$/gim)].map((m) => m[1]!);
  if (keysLines.length > 0)
    return [deviceOf(fallbackName, { kind: 'fixed', privateKeys: keysLines.map(parsePrivateKeyText) })];
  if (/^\S+$/.test(text)) return [deviceOf(fallbackName, { kind: 'fixed', privateKeys: [parsePrivateKeyText(text)] })];
  throw new FormatError(
    'unrecognised key file: expected FindMy.py JSON, macless devices.json, a .keys file, a base64 private key or an 85-byte Apple key',
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError('the key file looks like JSON but does not parse');
  }
}

function readJsonKeys(json: unknown, fallbackName: string): Device[] {
  if (Array.isArray(json)) return json.map((item, i) => readJsonDevice(item, `${fallbackName}[${i}]`));
  return [readJsonDevice(json, fallbackName)];
}

function field(object: Record<string, unknown>, name: string, what: string): string {
  const value = object[name];
  if (typeof value !== 'string' || !value) throw new FormatError(`${what}: "${name}" is missing or not text`);
  return value;
}

function date(text: string, what: string): Date {
  const parsed = new Date(text);
  if (Number.isNaN(parsed.getTime())) throw new FormatError(`${what}: not a date: ${text}`);
  return parsed;
}

function secret(hex: string, what: string): Uint8Array {
  const bytes = hexToBytes(hex);
  if (bytes.length !== SECRET_LENGTH) throw new FormatError(`${what}: a shared secret is ${SECRET_LENGTH} bytes`);
  return bytes;
}

function readJsonDevice(item: unknown, fallbackName: string): Device {
  if (typeof item !== 'object' || item === null)
    throw new FormatError(`${fallbackName}: a device must be a JSON object`);
  const o = item as Record<string, unknown>;
  const name = typeof o.name === 'string' && o.name ? o.name : fallbackName;
  switch (o.type) {
    case 'keypair':
      return deviceOf(name, {
        kind: 'fixed',
        privateKeys: [parsePrivateKey(base64ToBytes(field(o, 'private_key', name)))],
      });
    case 'custom_rolling_key_accessory': {
      const keys = o.private_keys;
      if (!Array.isArray(keys) || keys.length === 0)
        throw new FormatError(`${name}: "private_keys" must be a non-empty list`);
      return deviceOf(name, { kind: 'fixed', privateKeys: keys.map((k) => parsePrivateKeyText(String(k))) });
    }
    case 'accessory': {
      const pairedAt = date(field(o, 'paired_at', name), name);
      const alignmentDate = typeof o.alignment_date === 'string' ? date(o.alignment_date, name) : undefined;
      const alignmentIndex = Number(o.alignment_index ?? 0);
      // An alignment at the pairing instant is no observation: FindMy.py writes (paired_at, 0) by
      // default, Crowdfind writes (paired_at, 1), what a real accessory broadcasts then
      // (docs/protocol.md §7.4). Both read as no alignment: the nominal count.
      const observed =
        alignmentDate && !(alignmentIndex <= PAIRING_INDEX && alignmentDate.getTime() === pairedAt.getTime());
      return deviceOf(name, {
        kind: 'rolling',
        masterKey: parsePrivateKey(hexToBytes(field(o, 'master_key', name))),
        primarySecret: secret(field(o, 'skn', name), name),
        secondarySecret: secret(field(o, 'sks', name), name),
        pairedAt,
        ...(observed ? { alignment: { date: alignmentDate, index: alignmentIndex } } : {}),
      });
    }
    default:
      if (typeof o.privateKey === 'string') {
        // macless-haystack devices.json: the main key plus the keys it rotates through.
        const additional = Array.isArray(o.additionalKeys)
          ? o.additionalKeys.map((k) => parsePrivateKeyText(String(k)))
          : [];
        return deviceOf(name, { kind: 'fixed', privateKeys: [parsePrivateKeyText(o.privateKey), ...additional] });
      }
      if ('crowdfindPairing' in o)
        throw new FormatError(
          `${name} is a pairing file (crowdfind pair), not a key file: command, inbox and device run take it as --pairing`,
        );
      throw new FormatError(
        `${name}: not a key file this reads (type ${JSON.stringify(o.type ?? null)}): expected FindMy.py's "keypair", "accessory" or "custom_rolling_key_accessory", or a macless-haystack device with "privateKey"`,
      );
  }
}

/**
 * A UTC time as every Python that FindMy.py supports reads it with `datetime.fromisoformat`:
 * Python 3.10 takes neither a `Z` nor milliseconds alone, so `2026-11-27T15:27:26+00:00`.
 * @example pythonIsoTime(new Date(0)) // '1970-01-01T00:00:00+00:00'
 */
function pythonIsoTime(date: Date): string {
  const iso = date.toISOString();
  const fraction = date.getUTCMilliseconds() === 0 ? '' : `.${iso.slice(20, 23)}000`;
  return `${iso.slice(0, 19)}${fraction}+00:00`;
}

/**
 * FindMy.py's JSON for a device: `keypair` for one fixed key, `custom_rolling_key_accessory`
 * for several, `accessory` for a rolling one.
 * @example JSON.stringify(findMyPyJson(device), null, 2)
 */
export function findMyPyJson(device: Device): Record<string, unknown> {
  const { keys, name } = device;
  if (keys.kind === 'rolling') {
    return {
      type: 'accessory',
      master_key: bytesToHex(keys.masterKey),
      skn: bytesToHex(keys.primarySecret),
      sks: bytesToHex(keys.secondarySecret),
      paired_at: pythonIsoTime(keys.pairedAt),
      name,
      model: null,
      identifier: null,
      // Without an observed alignment, the nominal one, spelled out: FindMy.py's own default,
      // (paired_at, 0), names one index less than the accessory broadcasts, so it would not ask
      // for the key in force until the next 15-minute boundary.
      alignment_date: pythonIsoTime(keys.alignment?.date ?? keys.pairedAt),
      alignment_index: keys.alignment?.index ?? PAIRING_INDEX,
    };
  }
  if (keys.privateKeys.length === 1)
    return { type: 'keypair', private_key: bytesToBase64(keys.privateKeys[0]!), key_type: 1, name };
  return { type: 'custom_rolling_key_accessory', private_keys: keys.privateKeys.map(bytesToHex), name };
}
