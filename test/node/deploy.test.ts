// The systemd unit that the README shows (deploy/crowdfind.service) is one systemd accepts,
// and its hardening keeps the service's exposure low by systemd's own measure.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
if (!SYSTEMD_ANALYZE) console.log('systemd unit test skipped: no systemd-analyze on this machine (Debian: systemd)');

const UNIT = fileURLToPath(new URL('../../deploy/crowdfind.service', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-deploy-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function analyze(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(SYSTEMD_ANALYZE!, args);
    return { code: 0, stderr };
  } catch (error) {
    return { code: (error as { code: number }).code, stderr: (error as { stderr: string }).stderr };
  }
}

describe.skipIf(!SYSTEMD_ANALYZE)('deploy/crowdfind.service', () => {
  it('passes systemd-analyze verify without a warning', async () => {
    expect(await analyze('verify', UNIT)).toEqual({ code: 0, stderr: '' });
  });

  it('is caught by the same check when a key is misspelt or the command missing', async () => {
    const broken = join(folder, 'crowdfind.service');
    writeFileSync(
      broken,
      readFileSync(UNIT, 'utf8')
        .replace('ProtectSystem=strict', 'ProtectSystm=strict')
        .replace('ExecStart=node ', 'ExecStart=no-such-node '),
    );
    const result = await analyze('verify', broken);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Unknown key 'ProtectSystm'/);
    expect(result.stderr).toMatch(/no-such-node is not executable/);
  });

  it("keeps systemd's exposure score of the service at 2.0 or below", async () => {
    // --threshold counts tenths: the check fails above 2.0 ("OK" in systemd's words).
    expect(await analyze('security', '--offline=yes', '--threshold=20', UNIT)).toMatchObject({ code: 0 });
  });
});
