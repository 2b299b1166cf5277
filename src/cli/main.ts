/**
 * The `crowdfind` command line: owner and finder tools over the SDK in src/sdk/, one file per
 * command in commands/. Machine output goes to stdout, progress and errors to stderr; a bad
 * input is one line and a non-zero exit (the stack only with --debug).
 */
import { FormatError } from '../../crypto/index.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { UsageError } from './args.ts';
import { archiveImportCommand } from './commands/archive-import.ts';
import { backupCommand } from './commands/backup.ts';
import { beaconCommand } from './commands/beacon.ts';
import { commandCommand } from './commands/command.ts';
import { deviceRunCommand } from './commands/device-run.ts';
import { deviceUnpairCommand } from './commands/device-unpair.ts';
import { inboxCommand } from './commands/inbox.ts';
import { pairCommand } from './commands/pair.ts';
import { keysNewCommand } from './commands/keys-new.ts';
import { keysShowCommand } from './commands/keys-show.ts';
import { locateCommand } from './commands/locate.ts';
import { lostOffCommand, lostOnCommand, lostStatusCommand } from './commands/lost.ts';
import { reportCommand } from './commands/report.ts';
import { serveCommand } from './commands/serve.ts';
import { simulateCommand } from './commands/simulate.ts';
import { watchCommand } from './commands/watch.ts';
import { InterruptedError, type CliIo, type Command } from './io.ts';

export type { CliIo } from './io.ts';

const USAGE = `crowdfind — offline-finding tools for Crowdfind servers

Usage: crowdfind <command> [options]   (crowdfind <command> --help for details)

  keys new       make a key pair or an AirTag-style rolling accessory (FindMy.py JSON)
  keys show      the key in force at a time: advertisement, hashed id, BLE address, firmware keys
  report         finder: seal one location report and upload it
  simulate       a crowd of finders sighting an accessory, uploaded to a server
  locate         owner: fetch and decrypt a device's reports
  watch          owner: each new report as it arrives, decrypted (optionally to MQTT / Home Assistant)
  archive import owner: add history FindMy.py or macless-haystack fetched from Apple to an archive
  lost on|off|status
                 owner: mark devices lost with a message for finders, end it, or check it
  beacon         a lost device with a connection reporting its own position
  pair           pair yourself with a phone: two key files, one for each side
  command        owner: ask a paired phone to locate, ring, show a message, take a photo, lost, found
  inbox          owner: what a paired phone answered, opened and checked
  device run     a stand-in for a paired phone in lost mode
  device unpair  end a paired phone's pairing from the phone, and tell its owner
  serve          run the server (configured as npm start)
  backup         a consistent copy of a running server's database

Global: --debug shows stack traces; --version prints the version.
Exit codes: 0 done, 1 the server refused or did not store everything, 2 a mistake in the
command line or its files.`;

const KEYS_USAGE = `crowdfind keys — key files

  keys new       make a key pair or an AirTag-style rolling accessory (FindMy.py JSON)
  keys show      the key in force at a time: advertisement, hashed id, BLE address, firmware keys

crowdfind keys <new|show> --help for details.`;

const LOST_USAGE = `crowdfind lost — lost mode

  lost on        publish a notice for finders on every key the devices will broadcast
  lost off       withdraw the notices
  lost status    whether the devices are marked lost, and what their notice says

crowdfind lost <on|off|status> --help for details.`;

const DEVICE_USAGE = `crowdfind device — a stand-in for a paired phone

  device run     answer the owner's commands (crowdfind device run --help)
  device unpair  end the pairing from the phone, and tell the owner`;

const ARCHIVE_USAGE = `crowdfind archive — the owner's report archive (locate/watch --archive FILE)

  archive import add the sealed reports FindMy.py or macless-haystack saved (crowdfind archive import --help)`;

/** Help for names that are not commands themselves. */
const HELP_OF: Record<string, string> = {
  keys: KEYS_USAGE,
  lost: LOST_USAGE,
  device: DEVICE_USAGE,
  archive: ARCHIVE_USAGE,
};
/** Names that group subcommands: `keys new`, `lost on`. */
const GROUPS = new Set(Object.keys(HELP_OF));

const COMMANDS: Record<string, Command> = {
  'keys new': keysNewCommand,
  'keys show': keysShowCommand,
  report: reportCommand,
  simulate: simulateCommand,
  locate: locateCommand,
  watch: watchCommand,
  'archive import': archiveImportCommand,
  'lost on': lostOnCommand,
  'lost off': lostOffCommand,
  'lost status': lostStatusCommand,
  beacon: beaconCommand,
  pair: pairCommand,
  command: commandCommand,
  inbox: inboxCommand,
  'device run': deviceRunCommand,
  'device unpair': deviceUnpairCommand,
  serve: serveCommand,
  backup: backupCommand,
};

/**
 * Runs one command line; resolves to the exit code.
 * @example process.exitCode = await runCli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) })
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const [first = '', second] = argv;
  if (first === '--version' || first === 'version') {
    io.stdout(`crowdfind ${version()}\n`);
    return 0;
  }
  const grouped = GROUPS.has(first) && second !== undefined && !second.startsWith('-') && second !== 'help';
  const name = grouped ? `${first} ${second}` : first;
  const command = COMMANDS[name];
  const rest = argv.slice(grouped ? 2 : 1);
  if (!command) {
    const help = HELP_OF[name] ?? (['', '--help', '-h', 'help'].includes(name) ? USAGE : undefined);
    if (help !== undefined) {
      io.stdout(help + '\n');
      return 0;
    }
    const typed = GROUPS.has(first) && second !== undefined ? `${first} ${second}` : first;
    const guess = didYouMean(typed, [...Object.keys(COMMANDS), ...GROUPS]);
    io.stderr(`crowdfind: unknown command "${typed}"; ${guess}see crowdfind --help\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help + '\n');
    return 0;
  }
  try {
    await command.run(rest, io);
    return 0;
  } catch (error) {
    io.stderr(`crowdfind ${name}: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
    if (error instanceof InterruptedError) return 130;
    return error instanceof UsageError || error instanceof FormatError ? 2 : 1;
  }
}

/** The names nearest `typed` within two edits (a letter missed, doubled or swapped), as a question. */
function didYouMean(typed: string, names: readonly string[]): string {
  const distances = names.map((name) => ({ name, distance: editDistance(typed, name) }));
  const best = Math.min(...distances.map((d) => d.distance));
  if (best > 2) return '';
  const nearest = distances.filter((d) => d.distance === best).map((d) => `"${d.name}"`);
  return `did you mean ${nearest.join(' or ')}? `;
}

/** Levenshtein distance, a swap of neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The version in package.json (inlined by the build: the built CLI reads no file to say it). */
function version(): string {
  return packageJson.version;
}
