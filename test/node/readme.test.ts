// The README as a new user meets it: its shell blocks paste into a fresh shell, the files it
// names exist, and what its walkthroughs write (private keys) cannot be committed by `git add .`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(`${root}README.md`, 'utf8');
const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);

describe('the README', () => {
  it('defines, in each shell block, every variable the block uses', () => {
    expect(shellBlocks.length).toBeGreaterThan(3);
    for (const block of shellBlocks) {
      const code = block.replace(/#.*$/gm, '');
      const defined = new Set([...code.matchAll(/(?:^|[\s;])([A-Za-z_]\w*)=/g)].map((m) => m[1]));
      for (const [, name] of code.matchAll(/\$\{?([A-Za-z_]\w*)/g))
        expect(defined.has(name), `$${name} in:\n${block}`).toBe(true);
    }
  });

  it('names only scripts that exist, and every script there is', () => {
    const named = new Set([...readme.matchAll(/scripts\/([\w.-]+\.(?:mjs|py|ts|js))/g)].map((m) => m[1]!));
    const row = readme.split('\n').find((line) => line.startsWith('| `scripts/` |'))!;
    for (const [, name] of row.matchAll(/`([\w.-]+\.(?:mjs|py|ts|js))`/g)) named.add(name!);
    for (const name of named) expect(existsSync(`${root}scripts/${name}`), `scripts/${name}`).toBe(true);
    expect([...named].sort()).toEqual(readdirSync(`${root}scripts`).sort());
  });

  it('writes key files outside the checkout, and git ignores them should they be written here', () => {
    const written = shellBlocks
      .flatMap((block) =>
        [...block.matchAll(/--(out|owner|device|truth) (\S+)/g)].flatMap(([, option, path]) =>
          option === 'device' ? [path!, `${path}.state`, `${path}.log`] : [path!],
        ),
      )
      // An absolute path (a server's backup folder) is outside the checkout already.
      .filter((path) => !path.startsWith('/'));
    expect(written).toContain('$K/airtag.json');
    // Everything but the simulation's truth holds keys, or what a phone sent.
    for (const path of written.filter((p) => p !== 'truth.json'))
      expect(path, 'written in the checkout').toMatch(/^\$K\//);
    // The same names, written in the checkout by someone who left out $K/, are ignored.
    const here = written.map((path) => path.replace(/^\$K\//, '').replace(/\/$/, '/photo.jpg'));
    const ignored = execFileSync('git', ['-C', root, 'check-ignore', ...here], { encoding: 'utf8' });
    expect(ignored.trim().split('\n').sort()).toEqual([...new Set(here)].sort());
  });
});
