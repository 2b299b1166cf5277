// `npm run web:verify -- URL`: checks that the owner's page a server serves is the page this
// checkout builds. Build first (`npm run build:web`, reproducible: same sources and lockfile,
// same bytes); this fetches every file the build's manifest lists from URL and compares SHA-256.
// Exit 0 when all match, 1 (naming the files) when not.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const base = process.argv[2];
if (!base) {
  console.error('usage: npm run web:verify -- https://your-server.example');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(process.argv[3] ?? 'build/web/manifest.json', 'utf8'));
let differ = 0;
for (const [path, expected] of Object.entries(manifest)) {
  const url = new URL(path === 'index.html' ? '/' : `/${path}`, base);
  const response = await fetch(url);
  const actual = createHash('sha256')
    .update(new Uint8Array(await response.arrayBuffer()))
    .digest('hex');
  const same = response.ok && actual === expected;
  if (!same) differ++;
  console.log(`${same ? 'same     ' : 'DIFFERENT'} ${path}  ${actual}`);
}
console.log(differ === 0 ? 'the served page is this build' : `${differ} file(s) differ from this build`);
process.exit(differ === 0 ? 0 : 1);
