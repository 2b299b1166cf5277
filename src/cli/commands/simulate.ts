/** `crowdfind simulate`: a crowd of finders sighting an accessory, uploaded to a server. */
import { uploadReports } from '../../sdk/finder.ts';
import { reportRecord } from '../../sdk/formats.ts';
import type { Device } from '../../sdk/key-files.ts';
import { sdkP224 } from '../../sdk/p224.ts';
import { noticesFor } from '../../sdk/lost-mode.ts';
import { simulateCrowd } from '../../sdk/simulate.ts';
import { number, parse, required, serverOption, UsageError } from '../args.ts';
import {
  IncompleteUploadError,
  InterruptedError,
  interruptible,
  output,
  progress,
  readDevices,
  type Command,
} from '../io.ts';
import { noticeLine } from '../notice-text.ts';
import { readRoute } from '../route-file.ts';

export const simulateCommand: Command = {
  help: `crowdfind simulate --keys FILE --server URL [--finders N] [--hours H] [--route FILE.geojson] [--truth FILE]

Finders (default 5) pass the accessory every 10–30 minutes over the last H hours (default 24),
sighting it with the key it broadcast at that moment, along the route's LineString or a
random walk, and upload in batches with retries. Prints a summary of what the server stored;
--truth writes every report sealed, oldest first: what \`locate --format json\` returns
(newest first) when the server stored them all. Reports the server turns away (its per-id daily cap,
MAX_REPORTS_PER_ID_PER_DAY) are counted as "rejected", and then simulate exits 1. Like real
finders, it looks up the owner's lost-mode notice of each key it received and shows the first
genuine one; the summary counts genuine and forged notices. On a terminal it shows its
progress. Ctrl-C stops it after the batch in flight: it prints the summary so far, with
"interrupted" and how many reports it uploaded, writes --truth for those, and exits 130.`,

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
    const sealing = progress(io, 'sealing');
    const simulations = devices.map((device, d) =>
      simulateCrowd(device, {
        from: startOf(device),
        until,
        finders,
        engine,
        ...(route ? { route } : {}),
        onProgress: (done) => sealing(d * finders + done, devices.length * finders),
      }),
    );
    const reports = simulations.flatMap((s) => s.reports);
    // In the same order as `reports`: what was uploaded is a prefix of both.
    const truth = simulations.flatMap((s) => s.truth);
    // Written before the upload too: a --truth that cannot be written is a mistake found before anything is sent.
    if (values.truth) output(JSON.stringify(truth.map(reportRecord), null, 2) + '\n', values.truth as string, io);
    const interrupt = interruptible(io, 'simulate');
    let result;
    try {
      result = await uploadReports(server, reports, {
        onProgress: progress(io, 'uploading'),
        signal: interrupt.signal,
      });
    } finally {
      interrupt.dispose();
    }
    // The totals count every report uploaded: each was stored, a duplicate, or turned away.
    const uploaded = result.accepted + result.duplicates + result.rejected;
    if (values.truth && uploaded < truth.length)
      output(JSON.stringify(truth.slice(0, uploaded).map(reportRecord), null, 2) + '\n', values.truth as string, io);
    // The earliest moment any device was simulated from: never before its pairing.
    const start = new Date(Math.min(...devices.map((device) => startOf(device).getTime())));
    const summary = {
      devices: devices.length,
      finders,
      from: start.toISOString(),
      until: until.toISOString(),
      reports: reports.length,
      ...result,
    };
    if (interrupt.signal.aborted) {
      io.stdout(JSON.stringify({ ...summary, uploaded, interrupted: true }) + '\n');
      throw new InterruptedError(
        `interrupted after uploading ${uploaded} of ${reports.length} reports (${result.accepted} stored)` +
          (values.truth ? `; ${values.truth as string} holds those ${uploaded}` : ''),
      );
    }
    // Finders look up the owner's notice for each key they received, as a phone would.
    const lookups = await noticesFor(
      server,
      simulations.flatMap((s) => s.sightedKeys),
    );
    const shown = lookups.find((l) => l.status === 'valid') ?? lookups.find((l) => l.status === 'forged');
    if (shown) io.stderr(noticeLine(shown));
    io.stdout(
      JSON.stringify({
        ...summary,
        notices: {
          valid: lookups.filter((l) => l.status === 'valid').length,
          forged: lookups.filter((l) => l.status === 'forged').length,
        },
      }) + '\n',
    );
    if (result.rejected > 0)
      throw new IncompleteUploadError(
        `the server turned away ${result.rejected} of ${reports.length} reports over its per-id daily cap; locate will not find them`,
      );
  },
};
