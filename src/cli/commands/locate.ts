/** `crowdfind locate`: the owner, fetching a device's reports and decrypting them here. */
import { formatReports, OUTPUT_FORMATS, type OutputFormat } from '../../sdk/formats.ts';
import { locate } from '../../sdk/owner.ts';
import { parse, parseTime, required, UsageError } from '../args.ts';
import { output, progress, readDevices, type Command } from '../io.ts';

export const locateCommand: Command = {
  help: `crowdfind locate --keys FILE --server URL [--since TIME] [--until TIME]
                 [--format table|json|geojson|csv|gpx] [--out FILE] [--api native|apple]

Derives every key each device could have broadcast between --since (default 7d) and --until
(default now), fetches their reports in batches and decrypts them here, newest first.
--api apple uses the Apple-compatible endpoint of any server that has it.`,

  async run(args, io) {
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
  },
};
