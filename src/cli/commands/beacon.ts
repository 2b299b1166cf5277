/** `crowdfind beacon`: a lost device with a connection, reporting its own position. */
import { runBeacon } from '../../sdk/beacon.ts';
import { positionAt } from '../../sdk/simulate.ts';
import { duration, number, parse, required, serverOption, UsageError } from '../args.ts';
import { readDevices, type Command } from '../io.ts';
import { readRoute } from '../route-file.ts';

export const beaconCommand: Command = {
  help: `crowdfind beacon --keys FILE --server URL (--lat DEG --lon DEG | --route FILE.geojson [--hours H])
                 [--accuracy M] [--every 5m] [--count N]

Stands in for a lost device that still has a connection: every --every it seals its own
position to the key it broadcasts at that moment and uploads it like any finder. The owner's
locate and watch mark these reports as the device's own; the server cannot tell them apart,
but it does see the address they come from (README, "Self-reports"). With --route the device
walks the LineString over H hours (default 1) from now, then stays at its end. The first
device in FILE reports; --count stops after N reports.`,

  async run(args, io) {
    const values = parse(args, {
      keys: { type: 'string' },
      server: { type: 'string' },
      lat: { type: 'string' },
      lon: { type: 'string' },
      route: { type: 'string' },
      hours: { type: 'string' },
      accuracy: { type: 'string' },
      every: { type: 'string' },
      count: { type: 'string' },
    });
    const [device] = readDevices(required(values, 'keys'));
    const server = serverOption(values);
    const everyMs = duration(values, 'every', '5m');
    const accuracy = number(values, 'accuracy', 10);
    const count = values.count === undefined ? undefined : number(values, 'count');
    if (count !== undefined && !(Number.isInteger(count) && count > 0))
      throw new UsageError('--count must be a positive integer');
    const start = io.now?.() ?? new Date();
    let position: (time: Date) => { latitude: number; longitude: number; accuracy: number };
    if (values.route !== undefined) {
      const route = readRoute(values.route as string);
      const spanMs = number(values, 'hours', 1) * 3_600_000;
      position = (time) => {
        const [longitude, latitude] = positionAt(route, Math.min(1, (time.getTime() - start.getTime()) / spanMs));
        return { latitude, longitude, accuracy };
      };
    } else if (values.lat !== undefined || values.lon !== undefined) {
      const latitude = number(values, 'lat');
      const longitude = number(values, 'lon');
      if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) throw new UsageError('--lat/--lon are out of range');
      position = () => ({ latitude, longitude, accuracy });
    } else {
      throw new UsageError('give --lat and --lon, or --route');
    }
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    try {
      await runBeacon(device!, {
        server,
        everyMs,
        position,
        separatedAt: start,
        signal: stop.signal,
        ...(count === undefined ? {} : { count }),
        onReport: (r) =>
          io.stdout(
            JSON.stringify({
              timestamp: r.timestamp.toISOString(),
              latitude: r.latitude,
              longitude: r.longitude,
              stored: r.stored,
            }) + '\n',
          ),
      });
    } finally {
      process.off('SIGINT', interrupt);
    }
  },
};
