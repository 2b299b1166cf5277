// The owner's page build is reproducible, and `npm run web:verify` tells a served page that is
// the build from one that is not.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-web-build-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const build = (out: string) => execFileSync(process.execPath, ['scripts/build-web.mjs', out]);

describe('the owner’s page build', () => {
  it('gives the same bytes twice', () => {
    build(join(folder, 'a'));
    build(join(folder, 'b'));
    const manifest = (name: string) => readFileSync(join(folder, name, 'manifest.json'), 'utf8');
    expect(manifest('a')).toBe(manifest('b'));
    expect(Object.keys(JSON.parse(manifest('a')))).toEqual([
      'index.html',
      'app/app.js',
      'app/style.css',
      'app/locate-worker.js',
    ]);
  });

  it('is what a server serves, and web:verify says when it is not', async () => {
    const out = join(folder, 'served');
    build(out);
    const server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: ':memory:',
      config: DEFAULT_CONFIG,
      log: () => {},
      webFolder: out,
    });
    try {
      // Asynchronously: the server answers from this process.
      const verify = (manifest: string) =>
        new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
          execFile(process.execPath, ['scripts/verify-web.mjs', server.url, manifest], (error, stdout, stderr) =>
            resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
          ),
        );
      const same = await verify(join(out, 'manifest.json'));
      expect(same.status, same.stdout + same.stderr).toBe(0);
      expect(same.stdout).toContain('the served page is this build');
      const altered = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Record<string, string>;
      altered['app/app.js'] = '0'.repeat(64);
      writeFileSync(join(folder, 'altered.json'), JSON.stringify(altered));
      const differs = await verify(join(folder, 'altered.json'));
      expect(differs.status).toBe(1);
      expect(differs.stdout).toMatch(/DIFFERENT app\/app\.js/);
    } finally {
      await server.close();
    }
  });
});

describe('the owner’s page sources', () => {
  it('hand no text to an HTML sink: DOM nodes and textContent only (Leaflet reads a string tooltip as HTML)', () => {
    const web = join(import.meta.dirname, '..', '..', 'src', 'web');
    const sources = readdirSync(web).filter((name) => name.endsWith('.ts'));
    expect(sources).toContain('map-view.ts');
    const sinks =
      /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|srcdoc|createContextualFragment|DOMParser|bindPopup|setContent)\b|bindTooltip\((?!textTooltip\()/;
    for (const name of sources) {
      const lines = readFileSync(join(web, name), 'utf8').split('\n');
      const found = lines.map((line, i) => `${name}:${i + 1}: ${line.trim()}`).filter((line) => sinks.test(line));
      expect(found).toEqual([]);
    }
  });
});
