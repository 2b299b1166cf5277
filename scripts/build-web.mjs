// Builds the owner's page (src/web/) into build/web/: index.html, app/app.js, app/style.css,
// app/locate-worker.js and manifest.json. esbuild bundles each (Leaflet and its stylesheet
// included: no CDN), and the build is reproducible: the same sources and lockfile give the same
// bytes, so anyone can rebuild and compare with what a server serves (npm run web:verify).
// index.html names app.js and style.css with subresource integrity; app.js carries the worker's
// SHA-256 and checks it before starting workers, which cannot carry integrity themselves.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const outDir = process.argv[2] ?? 'build/web';
rmSync(outDir, { recursive: true, force: true });
mkdirSync(join(outDir, 'app'), { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
  write: false,
};
const digest = (algorithm, bytes) => createHash(algorithm).update(bytes).digest();

async function bundle(entry, extra = {}) {
  const { outputFiles } = await build({ ...common, entryPoints: [entry], outfile: 'out', ...extra });
  return outputFiles[0].contents;
}

const worker = await bundle('src/web/locate-worker.ts');
const app = await bundle('src/web/app.ts', {
  define: { WORKER_SHA256: JSON.stringify(digest('sha256', worker).toString('hex')) },
});
const style = await bundle('src/web/style.css', { loader: { '.png': 'dataurl', '.svg': 'dataurl' } });
const integrity = (bytes) => `sha384-${digest('sha384', bytes).toString('base64')}`;
const html = readFileSync('src/web/index.html', 'utf8')
  .replace('%STYLE_INTEGRITY%', integrity(style))
  .replace('%APP_INTEGRITY%', integrity(app));

const files = { 'index.html': html, 'app/app.js': app, 'app/style.css': style, 'app/locate-worker.js': worker };
for (const [path, bytes] of Object.entries(files)) writeFileSync(join(outDir, path), bytes);
const manifest = Object.fromEntries(
  Object.entries(files).map(([path, bytes]) => [path, digest('sha256', bytes).toString('hex')]),
);
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
