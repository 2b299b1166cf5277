// An accessory file `crowdfind keys new --rolling` writes names, by FindMy.py's rule, the same
// key in force as `keys show` does, at every moment: FindMy.py asks for keys up to its
// get_max_index(now), so a smaller index there hides the newest reports until the next
// 15-minute boundary.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-findmypy-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  expect(code, stderr).toBe(0);
  return stdout;
}

type AccessoryFile = { paired_at: string; alignment_date: string | null; alignment_index: number | null };

/**
 * FindMy.py's FindMyAccessory.get_max_index (findmy/accessory.py), from its documented rule: the
 * alignment (date, index), by default (paired_at, 0), plus one index per whole 15 minutes since;
 * never below the alignment index.
 */
function findMyPyMaxIndex(file: AccessoryFile, at: Date): number {
  const alignmentDate = Date.parse(file.alignment_date ?? file.paired_at);
  const alignmentIndex = file.alignment_index ?? 0;
  if (at.getTime() <= alignmentDate) return alignmentIndex;
  return alignmentIndex + Math.floor((at.getTime() - alignmentDate) / (15 * 60_000));
}

describe('accessory files and FindMy.py', () => {
  it('name the key in force by FindMy.py’s rule as keys show does, at every moment', async () => {
    const path = join(folder, 'tag.json');
    await cli('keys', 'new', '--rolling', '--paired', '2026-11-27T15:27:26Z', '--out', path);
    const written = JSON.parse(readFileSync(path, 'utf8')) as AccessoryFile;
    const pairedAt = Date.parse(written.paired_at);
    const minutes = [0.1, 7, 14.99, 15, 15.01, 44, 60 * 24 * 2 + 7, 60 * 24 * 9 + 15];
    for (const after of minutes) {
      const at = new Date(pairedAt + after * 60_000);
      const [shown] = JSON.parse(await cli('keys', 'show', '--keys', path, '--at', at.toISOString())) as [
        { index: number; kind: string },
      ];
      expect(shown.kind).toBe('primary');
      expect(findMyPyMaxIndex(written, at), `${after} min after pairing`).toBe(shown.index);
    }
  });

  it('keep an alignment observed from a report', async () => {
    const path = join(folder, 'observed.json');
    await cli('keys', 'new', '--rolling', '--paired', '2026-11-27T15:27:26Z', '--out', path);
    const observed = {
      ...(JSON.parse(readFileSync(path, 'utf8')) as AccessoryFile),
      alignment_date: '2026-11-28T00:00:00+00:00',
      alignment_index: 500,
    };
    writeFileSync(path, JSON.stringify(observed));
    const at = new Date('2026-11-28T00:20:00Z');
    const [shown] = JSON.parse(await cli('keys', 'show', '--keys', path, '--at', at.toISOString())) as [
      { index: number },
    ];
    expect(shown.index).toBe(501);
    expect(findMyPyMaxIndex(observed, at)).toBe(501);
  });
});
