/** `crowdfind serve`: the Node server in this process. */
import { parse } from '../args.ts';
import type { Command } from '../io.ts';

export const serveCommand: Command = {
  help: `crowdfind serve

Runs the server in this process, configured by the same environment variables as npm start (PORT,
HOST, DATABASE_PATH, READER_THREADS and the rest in the README). npm start also gives V8 a 64 MB young generation
(node --max-semi-space-size=64), which shortens the owner query's slowest answers.`,

  async run(args) {
    parse(args, {});
    // The built CLI leaves the server out (scripts/build-cli.mjs): it is TypeScript, read through tsx.
    (await import('tsx/esm/api')).register();
    await import('../../runtime/node/main.ts');
  },
};
