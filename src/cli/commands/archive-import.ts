/** `crowdfind archive import`: history other tools fetched from Apple's network, added to the archive. */
import { FormatError } from '../../../crypto/index.ts';
import { openImported, parseSealedReports } from '../../sdk/archive-import.ts';
import { parse, required, UsageError } from '../args.ts';
import { ARCHIVE_HELP, ARCHIVE_OPTIONS, openArchiveOption } from '../archive-option.ts';
import { readDevices, readInput, type Command } from '../io.ts';

export const archiveImportCommand: Command = {
  help: `crowdfind archive import --keys FILE --archive FILE --from FILE [--passphrase-file F]

Reads the sealed location reports in --from, as FindMy.py saves them (LocationReport.to_json:
one {"type": "locReportEncrypted", ...} object or a list of them) or as macless-haystack's
endpoint answers them ({"results": [...]}), opens those of the devices in --keys and adds them
to the archive, each report once. Prints how many were read, added, already archived, and not
the devices' (other ids, or not a report).

${ARCHIVE_HELP}`,

  async run(args, io) {
    const values = parse(args, { keys: { type: 'string' }, from: { type: 'string' }, ...ARCHIVE_OPTIONS });
    const devices = readDevices(required(values, 'keys'));
    const from = required(values, 'from');
    required(values, 'archive');
    const { format, reports } = sealedReportsOf(from);
    const { located, notOurs } = await openImported(devices, reports);
    const archive = await openArchiveOption(values);
    if (!archive) throw new UsageError('--archive is required');
    try {
      const added = await archive.add(located);
      io.stdout(
        JSON.stringify({
          format,
          read: reports.length,
          added,
          alreadyArchived: located.length - added,
          notOurs,
          archived: archive.count(),
        }) + '\n',
      );
    } finally {
      archive.close();
    }
  },
};

/** The reports in the file, or a usage error that names it. */
function sealedReportsOf(path: string): ReturnType<typeof parseSealedReports> {
  try {
    return parseSealedReports(readInput(path).toString('utf8'));
  } catch (error) {
    if (error instanceof FormatError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
}
