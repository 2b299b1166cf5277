/** `crowdfind simulate`: a crowd of finders sighting an accessory, uploaded to a server. */
import { uploadReports } from '../../sdk/finder.ts';
import { reportRecord } from '../../sdk/formats.ts';
import type { Device } from '../../sdk/key-files.ts';
import { sdkP224 } from '../../sdk/p224.ts';
import { simulateCrowd } from '../../sdk/simulate.ts';
import { number, parse, required, serverOption, UsageError } from '../args.ts';
import { IncompleteUploadError, output, progress, readDevices, readInput, type Command } from '../io.ts';

function readRoute(path: string): Array<[number, number]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readInput(path).toString('utf8'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${path}: not JSON, so not GeoJSON`);
  }
  const geojson = parsed as {
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

export const simulateCommand: Command = {
  help: `crowdfind simulate --keys FILE --server URL [--finders N] [--hours H] [--route FILE.geojson] [--truth FILE]

Finders (default 5) pass the accessory every 10–30 minutes over the last H hours (default 24),
sighting it with the key it broadcast at that moment, along the route's LineString or a
random walk, and upload in batches with retries. Prints a summary of what the server stored;
--truth writes every report sealed, oldest first: what \`locate --format json\` returns
(newest first) when the server stored them all. Reports the server turns away (its per-id daily cap,
MAX_REPORTS_PER_ID_PER_DAY) are counted as "rejected", and then simulate exits 1.`,

  async run(args, io) {
    const values = parse(args, {
      keys: { type: 'string' },
      server: { type: 'string' },
      finders: { type: 'string' },
      hours: { type: 'string' },
      route: { type: 'string' },
      truth: { type: 'string' },
    });
    const devices = readDevices(required(values, 'keys'));
    const server = serverOption(values);
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
    if (values.truth) {
      const truth = simulations.flatMap((s) => s.truth).map(reportRecord);
      output(JSON.stringify(truth, null, 2) + '\n', values.truth as string, io);
    }
    // The earliest moment any device was simulated from: never before its pairing.
    const start = new Date(Math.min(...devices.map((device) => startOf(device).getTime())));
    io.stdout(
      JSON.stringify({
        devices: devices.length,
        finders,
        from: start.toISOString(),
        until: until.toISOString(),
        reports: reports.length,
        ...result,
      }) + '\n',
    );
    if (result.rejected > 0)
      throw new IncompleteUploadError(
        `the server turned away ${result.rejected} of ${reports.length} reports over its per-id daily cap; locate will not find them`,
      );
  },
};
