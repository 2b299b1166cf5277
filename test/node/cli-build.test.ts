// The CLI as `npm run build:cli` ships it: one file that runs without tsx, from any folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Built inside the checkout, as npm install builds it, so that it finds node_modules the same way;
// in a folder of its own, so that it never replaces the build/cli another test may be running.
const out = mkdtempSync(join(root, 'build', 'cli-test-'));
const elsewhere = mkdtempSync(join(tmpdir(), 'crowdfind-cli-build-'));
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('the built CLI', () => {
  it('runs from another folder, and loads what only some commands need when they need it', () => {
    execFileSync(process.execPath, ['scripts/build-cli.mjs', out], { cwd: root });
    const cli = (...argv: string[]) =>
      spawnSync(process.execPath, [join(out, 'crowdfind.js'), ...argv], { cwd: elsewhere, encoding: 'utf8' });

    expect(cli('--version')).toMatchObject({ status: 0, stdout: `crowdfind ${version}\n`, stderr: '' });
    // Not TypeScript at run time: the build is plain JavaScript with nothing to compile.
    expect(readFileSync(join(out, 'crowdfind.js'), 'utf8')).not.toMatch(/from ["']tsx/);

    const made = cli('keys', 'new', '--name', 'tag', '--out', 'tag.json');
    expect(made.status, made.stderr).toBe(0);
    const shown = cli('keys', 'show', '--keys', 'tag.json');
    expect(shown.status, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject([{ device: 'tag', kind: 'fixed' }]);
    // mqtt is left out of the bundle and loaded for --mqtt: it is found, and the broker's absence said.
    const broker = cli('watch', '--keys', 'tag.json', '--server', 'http://127.0.0.1:9', '--mqtt', 'mqtt://127.0.0.1:9');
    expect(broker.stderr).toMatch(
      /^crowdfind watch: --mqtt: cannot connect to mqtt:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/,
    );
  });

  it('is what bin/crowdfind.js runs, from any folder', () => {
    const bin = join(root, 'bin', 'crowdfind.js');
    expect(execFileSync(process.execPath, [bin, '--version'], { cwd: elsewhere, encoding: 'utf8' })).toBe(
      `crowdfind ${version}\n`,
    );
  });
});
