/**
 * The `crowdfind` command's entry: the terminal wired to the CLI. `npm run build:cli` bundles it
 * into build/cli/crowdfind.js, which bin/crowdfind.js runs.
 */
import { runCli } from './main.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
});
