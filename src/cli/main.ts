/**
 * The `crowdfind` command line: owner and finder tools over the SDK in src/sdk/, one file per
 * command in commands/. Machine output goes to stdout, progress and errors to stderr; a bad
 * input is one line and a non-zero exit (the stack only with --debug).
 */
import { FormatError } from '../../crypto/index.ts';
import { ServerError } from '../sdk/http.ts';
import { UsageError } from './args.ts';
import { keysNewCommand } from './commands/keys-new.ts';
import { keysShowCommand } from './commands/keys-show.ts';
import { locateCommand } from './commands/locate.ts';
import { reportCommand } from './commands/report.ts';
import { serveCommand } from './commands/serve.ts';
import { simulateCommand } from './commands/simulate.ts';
import type { CliIo, Command } from './io.ts';

export type { CliIo } from './io.ts';

const USAGE = `crowdfind — offline-finding tools for Crowdfind servers

Usage: crowdfind <command> [options]   (crowdfind <command> --help for details)

  keys new       make a key pair or an AirTag-style rolling accessory (FindMy.py JSON)
  keys show      the key in force at a time: advertisement, hashed id, BLE address, firmware keys
  report         finder: seal one location report and upload it
  simulate       a crowd of finders sighting an accessory, uploaded to a server
  locate         owner: fetch and decrypt a device's reports
  serve          run the server (configured as npm start)

Global: --debug shows stack traces.`;

const COMMANDS: Record<string, Command> = {
  'keys new': keysNewCommand,
  'keys show': keysShowCommand,
  report: reportCommand,
  simulate: simulateCommand,
  locate: locateCommand,
  serve: serveCommand,
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
  if (!command || rest.includes('--help')) {
    if (command || name === '' || argv[0] === '--help' || argv[0] === 'help') {
      io.stdout((command?.help ?? USAGE) + '\n');
      return 0;
    }
    io.stderr(`crowdfind: unknown command "${name}"; see crowdfind --help\n`);
    return 2;
  }
  try {
    await command.run(rest, io);
    return 0;
  } catch (error) {
    const known = error instanceof UsageError || error instanceof FormatError || error instanceof ServerError;
    io.stderr(`crowdfind ${name}: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
    return known ? (error instanceof ServerError ? 1 : 2) : 1;
  }
}
