/**
 * A lost device that still has a connection reports itself (Xiaomi's always-connected lost
 * mode): on a timer it seals its own position to the key it broadcasts right now and uploads it
 * through the ordinary upload route, as a finder would. The reports are self-reports
 * (crypto/self-report.ts), so the owner sees them marked as the device's own and the server
 * cannot tell them from the crowd's; what it can see is the device's address (README).
 */
import { hashedIdOf, sealSelfReport, type P224Engine } from '../../crypto/index.ts';
import { uploadReports } from './finder.ts';
import type { HttpOptions } from './http.ts';
import type { Device } from './key-files.ts';
import { sdkP224 } from './p224.ts';
import { keyScheduleOf } from './simulate.ts';

/** A position fix: where the device is, by its own reckoning. */
export interface PositionFix {
  readonly latitude: number;
  readonly longitude: number;
  /** Metres, 0–255. */
  readonly accuracy: number;
}

export interface BeaconOptions extends HttpOptions {
  readonly server: string;
  /** Time between reports. */
  readonly everyMs: number;
  /** The device's position at a time (its GPS). */
  readonly position: (time: Date) => PositionFix;
  /** When it was separated from its owner: where a rolling accessory's key schedule starts. Default: now. */
  readonly separatedAt?: Date;
  /** Stop after this many reports; default: until `signal` aborts. */
  readonly count?: number;
  readonly signal?: AbortSignal;
  readonly engine?: P224Engine;
  /** Unix ms (tests move it). */
  readonly clock?: () => number;
  /** Told of each report after its upload. */
  readonly onReport?: (report: { timestamp: Date; hashedId: Uint8Array; stored: boolean } & PositionFix) => void;
}

/**
 * Runs the beacon; resolves with how many reports it uploaded.
 * @example await runBeacon(device, { server, everyMs: 300_000, position: () => gps.fix(), signal })
 */
export async function runBeacon(device: Device, options: BeaconOptions): Promise<number> {
  const engine = options.engine ?? (await sdkP224());
  const clock = options.clock ?? Date.now;
  const schedule = keyScheduleOf(device, options.separatedAt ?? new Date(clock()), engine);
  let sent = 0;
  let lastSecond = -1;
  while (!options.signal?.aborted && (options.count === undefined || sent < options.count)) {
    const second = Math.floor(clock() / 1000);
    // One report per second at most: reports carry whole seconds.
    if (second > lastSecond) {
      lastSecond = second;
      const timestamp = new Date(second * 1000);
      const fix = options.position(timestamp);
      const { key } = schedule(timestamp);
      const payload = sealSelfReport(
        key.privateKey,
        { timestamp, confidence: 3, ...fix, accuracy: Math.min(255, Math.max(0, Math.round(fix.accuracy))), status: 0 },
        engine,
      );
      const result = await uploadReports(
        options.server,
        [{ hashedId: hashedIdOf(key.advertisementKey), payload }],
        options,
      );
      sent++;
      options.onReport?.({
        timestamp,
        hashedId: key.hashedId,
        stored: result.accepted + result.duplicates === 1,
        ...fix,
      });
    }
    if (options.count !== undefined && sent >= options.count) break;
    await sleep(options.everyMs, options.signal);
  }
  return sent;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
