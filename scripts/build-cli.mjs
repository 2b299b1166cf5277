// Builds the `crowdfind` command (src/cli/bin.ts) into one file, build/cli/crowdfind.js, so that
// it starts without compiling TypeScript (tsx took over a second at every start). Its
// dependencies are bundled too (one file to read, nothing to resolve), except the few that only
// some commands use. The server that
// `crowdfind serve` runs stays outside: it starts worker threads and reads migrations from files
// beside its sources, so `serve` loads it from src/ through tsx, as npm start does.
import { relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';

const outDir = process.argv[2] ?? 'build/cli';

/** `serve`'s import of the server, kept as an import of src/runtime/node/main.ts, relative to the built file. */
const serverOutside = {
  name: 'server-outside',
  setup(build) {
    build.onResolve({ filter: /runtime\/node\/main\.ts$/ }, () => ({
      path: ('./' + relative(resolve(outDir), resolve('src/runtime/node/main.ts')).split(sep).join('/')).replace(
        /^\.\/\.\./,
        '..',
      ),
      external: true,
    }));
  },
};

await build({
  entryPoints: ['src/cli/bin.ts'],
  outfile: `${outDir}/crowdfind.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Loaded from node_modules when used: tsx and the server for `serve`, mqtt for `--mqtt`.
  external: ['tsx', 'better-sqlite3', 'mqtt'],
  plugins: [serverOutside],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
