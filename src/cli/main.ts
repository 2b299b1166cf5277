/**
 * The `crowdfind` command line: owner and finder tools over the SDK in src/sdk/.
 * Machine output goes to stdout, progress and errors to stderr; a bad input is one line and a
 * non-zero exit (the stack only with --debug).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  addressOf,
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  decodeAdvertisement,
  encodeAdvertisement,
  formatAddress,
  FormatError,
  generatePrivateKey,
  hexToBytes,
  keyPairOf,
  parseAddress,
  type KeyPair,
} from '../../crypto/index.ts';
import { sealSighting, uploadReports } from '../sdk/finder.ts';
import { formatReports, OUTPUT_FORMATS, reportRecord, type OutputFormat } from '../sdk/formats.ts';
import { ServerError } from '../sdk/http.ts';
import { deviceOf, findMyPyJson, isRolling, readKeyFile, type Device } from '../sdk/key-files.ts';
import { locate } from '../sdk/owner.ts';
import { sdkP224 } from '../sdk/p224.ts';
import { simulateCrowd } from '../sdk/simulate.ts';

/** Where the CLI writes; tests capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  readonly interactive?: boolean;
  readonly now?: () => Date;
}

/** A mistake in the command line or its input: reported as one line, exit code 2. */
class UsageError extends Error {}

const HELP: Record<string, string> = {
  '': `crowdfind — offline-finding tools for Crowdfind servers

Usage: crowdfind <command> [options]   (crowdfind <command> --help for details)

  keys new       make a key pair or an AirTag-style rolling accessory (FindMy.py JSON)
  keys show      the key in force at a time: advertisement, hashed id, BLE address, firmware keys
  report         finder: seal one sighting and upload it
  simulate       a crowd of finders sighting an accessory, uploaded to a server
  locate         owner: fetch and decrypt a device's reports
  serve          run the server (configured as npm start)

Global: --debug shows stack traces.`,
  'keys new': `crowdfind keys new [--rolling [--paired TIME]] [--name NAME] [--out FILE]

Writes a new static key pair ({"type":"keypair"}) or, with --rolling, an AirTag-style
accessory ({"type":"accessory"}: master key, primary and secondary secrets, pairing time
--paired, default now) in FindMy.py's JSON format, to FILE or stdout.`,
  'keys show': `crowdfind keys show --keys FILE [--at TIME]

For each device in FILE, the key in force at TIME (default now) as JSON: private key,
advertisement key, hashed id, BLE address, the 31-byte advertisement, and firmware key
material (OpenHaystack: the advertisement key; macless-haystack: its key file in hex).
TIME is ISO 8601 or relative to now (7d, 12h, 30m).`,
  report: `crowdfind report (--key ADV_KEY_B64 | --advertisement HEX --address MAC) --lat DEG --lon DEG
                 [--accuracy M] [--status N] [--confidence N] [--time ISO] --server URL

Seals one sighting to the accessory's key and uploads it. HEX is the advertising data as
received (31-byte AD structure or its 29-byte manufacturer data), MAC the advertiser's
address (AA:BB:CC:DD:EE:FF); the key is rebuilt from both and the advertisement's status
byte goes into the report.`,
  simulate: `crowdfind simulate --keys FILE --server URL [--finders N] [--hours H] [--route FILE.geojson] [--truth FILE]

Finders (default 5) pass the accessory every 10–30 minutes over the last H hours (default 24),
sighting it with the key it broadcast at that moment, along the route's LineString or a
random walk, and upload in batches with retries. Prints a summary; --truth writes what
\`locate --format json\` should return.`,
  locate: `crowdfind locate --keys FILE --server URL [--since TIME] [--until TIME]
                 [--format table|json|geojson|csv|gpx] [--out FILE] [--api native|apple]

Derives every key each device could have broadcast between --since (default 7d) and --until
(default now), fetches their reports in batches and decrypts them here, newest first.
--api apple uses the Apple-compatible endpoint of any server that has it.`,
  serve: `crowdfind serve

Runs the server in this process, configured by the same environment variables as npm start (PORT,
HOST, DATABASE_PATH, READER_THREADS and the rest in the README). npm start also gives V8 a 64 MB young generation
(node --max-semi-space-size=64), which shortens the owner query's slowest answers.`,
};

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs reads "--lat -33.8" as two options: a negative number after a string option is its value. */
function joinNegativeValues(args: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg.startsWith('--') && options[arg.slice(2)]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

function parse(args: string[], options: Options) {
  const joined = joinNegativeValues(args, options);
  try {
    return parseArgs({
      args: joined,
      options: { ...options, help: { type: 'boolean' }, debug: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function number(values: Record<string, string | boolean | undefined>, name: string, fallback?: number): number {
  const value = values[name];
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const parsed = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(parsed))
    throw new UsageError(`--${name} must be a number, got "${String(value)}"`);
  return parsed;
}

/**
 * ISO 8601, or a span back from now: 7d, 12h, 30m, 45s.
 * @example parseTime('7d', new Date())
 */
export function parseTime(text: string, now: Date): Date {
  const relative = /^(\d+(?:\.\d+)?)([dhms])$/.exec(text.trim());
  if (relative)
    return new Date(
      now.getTime() - Number(relative[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[relative[2] as 'd'],
    );
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`not a time: "${text}" (use ISO 8601 or 7d, 12h, 30m)`);
  return date;
}

function readDevices(path: string): Device[] {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return readKeyFile(new Uint8Array(content), basename(path).replace(/\.[^.]+$/, ''));
}

function output(text: string, path: string | undefined, io: CliIo): void {
  if (path) writeFileSync(path, text);
  else io.stdout(text);
}

function progress(io: CliIo, label: string): (done: number, total: number) => void {
  return (done, total) => {
    if (!io.interactive) return;
    const width = 30;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    io.stderr(
      `\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done >= total ? '\n' : ''}`,
    );
  };
}

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

async function keysNew(args: string[], io: CliIo): Promise<void> {
  const values = parse(args, {
    rolling: { type: 'boolean' },
    name: { type: 'string' },
    out: { type: 'string' },
    paired: { type: 'string' },
  });
  const name = (values.name as string | undefined) ?? (values.rolling ? 'accessory' : 'keypair');
  const secret = () => crypto.getRandomValues(new Uint8Array(32));
  const now = io.now?.() ?? new Date();
  const pairedAt = values.paired ? parseTime(values.paired as string, now) : now;
  const device = values.rolling
    ? deviceOf(name, {
        kind: 'rolling',
        masterKey: generatePrivateKey(),
        primarySecret: secret(),
        secondarySecret: secret(),
        pairedAt: new Date(Math.floor(pairedAt.getTime() / 1000) * 1000),
      })
    : deviceOf(name, { kind: 'fixed', privateKeys: [generatePrivateKey()] });
  output(JSON.stringify(findMyPyJson(device), null, 2) + '\n', values.out as string | undefined, io);
}

async function keysShow(args: string[], io: CliIo): Promise<void> {
  const values = parse(args, { keys: { type: 'string' }, at: { type: 'string' } });
  const now = io.now?.() ?? new Date();
  const at = values.at ? parseTime(values.at as string, now) : now;
  const shown = readDevices(required(values, 'keys')).map((device) => {
    if (!isRolling(device)) return keyMaterial(device, keyPairOf(device.keys.privateKeys[0]!), 'fixed', 0);
    const index = device.accessory.primaryIndexAt(at);
    return keyMaterial(device, device.accessory.primaryKey(index), 'primary', index);
  });
  io.stdout(JSON.stringify(shown, null, 2) + '\n');
}

async function report(args: string[], io: CliIo): Promise<void> {
  const values = parse(args, {
    key: { type: 'string' },
    advertisement: { type: 'string' },
    address: { type: 'string' },
    lat: { type: 'string' },
    lon: { type: 'string' },
    accuracy: { type: 'string' },
    status: { type: 'string' },
    confidence: { type: 'string' },
    time: { type: 'string' },
    server: { type: 'string' },
  });
  const server = required(values, 'server');
  let advertisementKey: Uint8Array;
  let status = number(values, 'status', 0);
  if (values.key !== undefined) {
    advertisementKey = base64ToBytes(required(values, 'key'));
  } else if (values.advertisement !== undefined) {
    const decoded = decodeAdvertisement(
      parseAddress(required(values, 'address')),
      hexToBytes(required(values, 'advertisement').replace(/[\s:]/g, '')),
    );
    if (decoded.kind === 'nearby')
      throw new UsageError(
        'a nearby advertisement carries only the first 6 bytes of the key: a report cannot be sealed to it',
      );
    advertisementKey = decoded.advertisementKey;
    if (values.status === undefined) status = decoded.status;
  } else {
    throw new UsageError('give --key, or --advertisement with --address');
  }
  const now = io.now?.() ?? new Date();
  const sealed = sealSighting(
    advertisementKey,
    {
      timestamp: values.time ? parseTime(values.time as string, now) : now,
      confidence: number(values, 'confidence', 2),
      latitude: number(values, 'lat'),
      longitude: number(values, 'lon'),
      accuracy: Math.min(255, Math.round(number(values, 'accuracy', 10))),
      status,
    },
    await sdkP224(),
  );
  const result = await uploadReports(server, [sealed]);
  io.stdout(JSON.stringify({ ...result, hashedId: bytesToBase64(sealed.hashedId) }) + '\n');
}

function readRoute(path: string): Array<[number, number]> {
  const geojson = JSON.parse(readFileSync(path, 'utf8')) as {
    type?: string;
    coordinates?: unknown;
    geometry?: unknown;
    features?: unknown[];
  };
  const geometries =
    geojson.type === 'FeatureCollection'
      ? (geojson.features ?? []).map((f) => (f as { geometry?: unknown }).geometry)
      : [geojson.type === 'Feature' ? geojson.geometry : geojson];
  const line = geometries.find((g) => (g as { type?: string })?.type === 'LineString') as
    { coordinates?: unknown } | undefined;
  const points = line?.coordinates;
  if (
    !Array.isArray(points) ||
    points.length === 0 ||
    !points.every((p) => Array.isArray(p) && p.length >= 2 && p.every((c) => typeof c === 'number'))
  ) {
    throw new UsageError(`${path}: expected a GeoJSON LineString (or a Feature/FeatureCollection holding one)`);
  }
  return points.map((p) => [p[0], p[1]] as [number, number]);
}

async function simulate(args: string[], io: CliIo): Promise<void> {
  const values = parse(args, {
    keys: { type: 'string' },
    server: { type: 'string' },
    finders: { type: 'string' },
    hours: { type: 'string' },
    route: { type: 'string' },
    truth: { type: 'string' },
  });
  const devices = readDevices(required(values, 'keys'));
  const server = required(values, 'server');
  const finders = number(values, 'finders', 5);
  const hours = number(values, 'hours', 24);
  if (!Number.isInteger(finders) || finders < 1) throw new UsageError('--finders must be a positive integer');
  if (!(hours > 0)) throw new UsageError('--hours must be positive');
  const route = values.route ? readRoute(values.route as string) : undefined;
  const until = io.now?.() ?? new Date();
  const from = new Date(until.getTime() - hours * 3_600_000);
  // An accessory broadcasts nothing before it was paired.
  const engine = await sdkP224();
  const startOf = (device: Device) =>
    device.keys.kind === 'rolling' && device.keys.pairedAt > from ? device.keys.pairedAt : from;
  const simulations = devices.map((device) =>
    simulateCrowd(device, { from: startOf(device), until, finders, engine, ...(route ? { route } : {}) }),
  );
  const reports = simulations.flatMap((s) => s.reports);
  const result = await uploadReports(server, reports, { onProgress: progress(io, 'uploading') });
  if (values.truth)
    writeFileSync(
      values.truth as string,
      JSON.stringify(simulations.flatMap((s) => s.truth).map(reportRecord), null, 2) + '\n',
    );
  io.stdout(
    JSON.stringify({
      devices: devices.length,
      finders,
      from: from.toISOString(),
      until: until.toISOString(),
      sightings: reports.length,
      ...result,
    }) + '\n',
  );
}

async function locateCommand(args: string[], io: CliIo): Promise<void> {
  const values = parse(args, {
    keys: { type: 'string' },
    server: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    api: { type: 'string' },
  });
  const format = (values.format ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
  const api = (values.api ?? 'native') as 'native' | 'apple';
  if (api !== 'native' && api !== 'apple') throw new UsageError('--api must be native or apple');
  const now = io.now?.() ?? new Date();
  const devices = readDevices(required(values, 'keys'));
  const located = await locate(devices, {
    server: required(values, 'server'),
    since: parseTime((values.since as string | undefined) ?? '7d', now),
    until: values.until ? parseTime(values.until as string, now) : now,
    api,
    onProgress: progress(io, 'fetching'),
  });
  output(formatReports(located, format), values.out as string | undefined, io);
}

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<void>> = {
  'keys new': keysNew,
  'keys show': keysShow,
  report,
  simulate,
  locate: locateCommand,
  serve: async (args) => {
    parse(args, {});
    await import('../runtime/node/main.ts');
  },
};

/**
 * Runs one command line; resolves to the exit code.
 * @example process.exitCode = await runCli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) })
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const name = argv[0] === 'keys' ? `keys ${argv[1] ?? ''}`.trim() : (argv[0] ?? '');
  const command = COMMANDS[name];
  const rest = argv.slice(name.split(' ').length);
  if (!command || (rest.includes('--help') && HELP[name])) {
    if (command || name === '' || argv[0] === '--help' || argv[0] === 'help') {
      io.stdout((HELP[command ? name : ''] ?? HELP['']!) + '\n');
      return 0;
    }
    io.stderr(`crowdfind: unknown command "${name}"; see crowdfind --help\n`);
    return 2;
  }
  try {
    await command(rest, io);
    return 0;
  } catch (error) {
    const known = error instanceof UsageError || error instanceof FormatError || error instanceof ServerError;
    io.stderr(`crowdfind ${name}: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
    return known ? (error instanceof ServerError ? 1 : 2) : 1;
  }
}
