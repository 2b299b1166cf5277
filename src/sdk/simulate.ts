/**
 * A crowd of finders passing a lost accessory, for testing a deployment end to end: the
 * accessory moves along a route (or a random walk), broadcasts the key its schedule says at
 * each moment, and every finder that passes seals what it saw. Returns the sealed reports and
 * the ground truth an owner should get back from them.
 */
import {
  bytesToBase64,
  keyPairsOf,
  nobleP224,
  type KeyPair,
  type P224Engine,
  type SealedReport,
} from '../../crypto/index.ts';
import { sealForUpload } from './finder.ts';
import { isRolling, type Device } from './key-files.ts';
import type { LocatedReport } from './owner.ts';

/** macless-haystack firmware moves to its next key every 30 minutes (docs/protocol.md §6.6). */
const FIXED_KEY_PERIOD_MS = 30 * 60 * 1000;
const MIN_GAP_MS = 10 * 60 * 1000;
const MAX_GAP_MS = 30 * 60 * 1000;
/** Where the random walk starts when no route is given. */
const DEFAULT_START: [number, number] = [13.405, 52.52];

export interface SimulationOptions {
  readonly from: Date;
  readonly until: Date;
  /** Finders, each passing every 10–30 minutes. */
  readonly finders: number;
  /** [longitude, latitude] points the accessory moves along at even speed; default a random walk. */
  readonly route?: ReadonlyArray<readonly [number, number]>;
  /** Derives keys and seals; the noble reference by default. */
  readonly engine?: P224Engine;
  /** Called as each finder's sightings are sealed. */
  readonly onProgress?: (finders: number) => void;
}

export interface Simulation {
  /** Oldest first: `reports[i]` is `truth[i]` sealed. */
  readonly reports: SealedReport[];
  /** What an owner should locate, oldest first. */
  readonly truth: LocatedReport[];
  /** Each advertisement key the finders received, once: what they look notices up for. */
  readonly sightedKeys: Uint8Array[];
}

/**
 * Where on the route (GeoJSON order: [longitude, latitude]) the accessory is at fraction f ∈ [0, 1] of the way.
 * @example positionAt([[13.40, 52.52], [13.45, 52.50]], 0.5) // [13.425, 52.51]
 */
export function positionAt(route: ReadonlyArray<readonly [number, number]>, f: number): [number, number] {
  if (route.length === 1) return [route[0]![0], route[0]![1]];
  const lengths = route.slice(1).map((p, i) => Math.hypot(p[0] - route[i]![0], p[1] - route[i]![1]));
  let remaining = f * lengths.reduce((a, b) => a + b, 0);
  for (let i = 0; i < lengths.length; i++) {
    if (remaining <= lengths[i]! || i === lengths.length - 1) {
      const t = lengths[i]! === 0 ? 0 : Math.min(1, remaining / lengths[i]!);
      return [
        route[i]![0] + t * (route[i + 1]![0] - route[i]![0]),
        route[i]![1] + t * (route[i + 1]![1] - route[i]![1]),
      ];
    }
    remaining -= lengths[i]!;
  }
  return [route[0]![0], route[0]![1]];
}

function randomWalk(steps: number): Array<[number, number]> {
  const walk: Array<[number, number]> = [DEFAULT_START];
  for (let i = 0; i < steps; i++) {
    const [lon, lat] = walk[walk.length - 1]!;
    walk.push([lon + (Math.random() - 0.5) * 0.02, lat + (Math.random() - 0.5) * 0.01]);
  }
  return walk;
}

/**
 * The key the device broadcasts at `time`, for a device separated from its owner at `from`: a
 * rolling accessory's primary, then secondary key; a fixed list in turn.
 * @example keyScheduleOf(device, lostAt, engine)(new Date()).key.advertisementKey
 */
export function keyScheduleOf(
  device: Device,
  from: Date,
  engine: P224Engine,
): (time: Date) => { key: KeyPair; index: number; kind: LocatedReport['keyKind'] } {
  if (!isRolling(device)) {
    const pairs = keyPairsOf(device.keys.privateKeys, engine);
    return (time) => {
      const index = Math.floor((time.getTime() - from.getTime()) / FIXED_KEY_PERIOD_MS) % pairs.length;
      return { key: pairs[index]!, index, kind: 'fixed' };
    };
  }
  const accessory = device.accessory;
  const cache = new Map<string, KeyPair>();
  return (time) => {
    const { kind, index } = accessory.broadcastIndexAt(time, from);
    const id = `${kind}:${index}`;
    let key = cache.get(id);
    if (!key)
      cache.set(
        id,
        (key = kind === 'primary' ? accessory.primaryKey(index, engine) : accessory.secondaryKey(index, engine)),
      );
    return { key, index, kind };
  };
}

/**
 * @example const { reports, truth } = simulateCrowd(device, { from, until, finders: 5 });
 */
export function simulateCrowd(device: Device, options: SimulationOptions): Simulation {
  const span = options.until.getTime() - options.from.getTime();
  if (!(span > 0)) throw new RangeError('the simulation needs until after from');
  const route = options.route ?? randomWalk(Math.max(1, Math.ceil(span / 3_600_000)));
  const engine = options.engine ?? nobleP224;
  const schedule = keyScheduleOf(device, options.from, engine);
  const sightings: Array<{ sealed: SealedReport; truth: LocatedReport }> = [];
  const sighted = new Map<string, Uint8Array>();
  for (let finder = 0; finder < options.finders; finder++) {
    for (
      let t = options.from.getTime() + Math.random() * MAX_GAP_MS;
      t < options.until.getTime();
      t += MIN_GAP_MS + Math.random() * (MAX_GAP_MS - MIN_GAP_MS)
    ) {
      // Reports carry whole seconds and coordinates in 1e-7 degrees: the truth is what survives that.
      const timestamp = new Date(Math.floor(t / 1000) * 1000);
      const [lon, lat] = positionAt(route, (timestamp.getTime() - options.from.getTime()) / span);
      const report = {
        timestamp,
        confidence: 1 + Math.floor(Math.random() * 3),
        latitude: Math.round((lat + (Math.random() - 0.5) * 2e-4) * 1e7) / 1e7 + 0,
        longitude: Math.round((lon + (Math.random() - 0.5) * 2e-4) * 1e7) / 1e7 + 0,
        accuracy: 5 + Math.floor(Math.random() * 60),
        status: 0,
      };
      const { key, index, kind } = schedule(timestamp);
      sighted.set(`${kind}:${index}`, key.advertisementKey);
      sightings.push({
        sealed: sealForUpload(key.advertisementKey, report, engine),
        truth: {
          ...report,
          hashedId: bytesToBase64(key.hashedId),
          keyIndex: index,
          keyKind: kind,
          selfReport: false,
          device: device.name,
        },
      });
    }
    options.onProgress?.(finder + 1);
  }
  sightings.sort((a, b) => a.truth.timestamp.getTime() - b.truth.timestamp.getTime());
  return {
    reports: sightings.map((s) => s.sealed),
    truth: sightings.map((s) => s.truth),
    sightedKeys: [...sighted.values()],
  };
}
