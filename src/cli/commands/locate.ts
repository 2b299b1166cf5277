/** `crowdfind locate`: the owner, fetching a device's reports and decrypting them here. */
import { extname } from 'node:path';
import { formatReports, OUTPUT_FORMATS, type OutputFormat } from '../../sdk/formats.ts';
import { locateWithArchive } from '../../sdk/archive.ts';
import { locate } from '../../sdk/owner.ts';
import { DEFAULT_CONFIG } from '../../rules/config.ts';
import { parse, required, serverOption, timeWindow, UsageError, type Values } from '../args.ts';
import { ARCHIVE_HELP, ARCHIVE_OPTIONS, openArchiveOption } from '../archive-option.ts';
import { output, progress, readDevices, type Command } from '../io.ts';

const DAY_MS = 86_400_000;

/** The format an --out file's extension names. */
const FORMAT_OF_EXTENSION: Record<string, OutputFormat> = {
  '.txt': 'table',
  '.json': 'json',
  '.geojson': 'geojson',
  '.csv': 'csv',
  '.gpx': 'gpx',
};

/** --format, else the --out file's extension, else a table; the two disagreeing is a mistake. */
function outputFormat(values: Values): OutputFormat {
  const named = values.format as OutputFormat | undefined;
  if (named !== undefined && !OUTPUT_FORMATS.includes(named))
    throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
  const out = values.out as string | undefined;
  const implied = out === undefined ? undefined : FORMAT_OF_EXTENSION[extname(out).toLowerCase()];
  if (named !== undefined && implied !== undefined && named !== implied)
    throw new UsageError(`--format ${named} contradicts --out ${out}, whose extension means ${implied}`);
  return named ?? implied ?? 'table';
}

export const locateCommand: Command = {
  help: `crowdfind locate --keys FILE --server URL [--since TIME] [--until TIME]
                 [--format table|json|geojson|csv|gpx] [--out FILE] [--api native|apple]
                 [--archive FILE [--passphrase-file F]]

Derives every key each device could have broadcast between --since (default 7d) and --until
(default now), fetches their reports in batches and decrypts them here, newest first.
--out writes to a file in the format its extension names (.txt, .json, .geojson, .csv, .gpx)
unless --format says which; the two disagreeing is refused. --api apple uses the
Apple-compatible endpoint of any server that has it.
With --archive, what the server still keeps is added to the archive, and the window may reach
back as far as the archive does: older reports come from the archive alone, each report once.

${ARCHIVE_HELP}`,

  async run(args, io) {
    const values = parse(args, {
      keys: { type: 'string' },
      server: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      api: { type: 'string' },
      ...ARCHIVE_OPTIONS,
    });
    const format = outputFormat(values);
    const api = (values.api ?? 'native') as 'native' | 'apple';
    if (api !== 'native' && api !== 'apple') throw new UsageError('--api must be native or apple');
    const now = io.now?.() ?? new Date();
    const { since, until } = timeWindow(values, now, '7d');
    const server = serverOption(values);
    const devices = readDevices(required(values, 'keys'));
    const retentionStart = new Date(now.getTime() - DEFAULT_CONFIG.retentionDays * DAY_MS);
    const archive = await openArchiveOption(values);
    if (!archive && since < retentionStart)
      io.stderr(
        `crowdfind locate: --since reaches back before ${DEFAULT_CONFIG.retentionDays} days; servers keep reports for RETENTION_DAYS (${DEFAULT_CONFIG.retentionDays} by default), so older ones are gone\n`,
      );
    const options = { server, since, until, api, onProgress: progress(io, 'fetching') } as const;
    try {
      const located = archive
        ? await locateWithArchive(devices, { ...options, archive, retentionStart })
        : await locate(devices, options);
      output(formatReports(located, format), values.out as string | undefined, io);
    } finally {
      archive?.close();
    }
  },
};
