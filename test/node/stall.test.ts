// A disk that stops answering (a frozen file system) holds the writer thread, not the server:
// health keeps answering, with 503 and the reason, and the stalled upload completes once the
// disk answers again. Needs root to mount and freeze a loop file system; says so where not.
// The server runs in its own process, as `npm start` does: a process with a thread blocked on
// a frozen file system cannot even start the `fsfreeze -u` that would thaw it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshReports } from '../../bench/synthetic-reports.ts';
import { bytesToBase64, generatePrivateKey, keyPairOf, parseContact, sealNotice } from '../../crypto/index.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';
import { spawnServer } from '../../bench/spawn-server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-stall-'));
const point = join(folder, 'disk');

/** An ext4 file system on a loop device of its own; false where this machine cannot make one. */
function mountDisk(): boolean {
  try {
    execFileSync('truncate', ['-s', '64M', join(folder, 'disk.img')]);
    execFileSync('mkfs.ext4', ['-q', join(folder, 'disk.img')]);
    execFileSync('mkdir', ['-p', point]);
    execFileSync('mount', ['-o', 'loop', join(folder, 'disk.img'), point], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = mountDisk();
afterAll(() => {
  if (mounted) execFileSync('umount', [point]);
  rmSync(folder, { recursive: true, force: true });
});

const upload = (url: string) => {
  const reports = freshReports(20);
  return fetch(`${url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: encodeBinaryUpload(reports),
  });
};

/** A lost-mode notice for a fresh key: written through the same writer thread as reports. */
const publishNotice = (url: string) => {
  const privateKey = generatePrivateKey();
  const expiresAt = Math.floor(Date.now() / 1000) + 86_400;
  return fetch(`${url}/v1/notices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      notices: [
        {
          id: bytesToBase64(keyPairOf(privateKey).hashedId),
          notice: bytesToBase64(
            sealNotice(privateKey, { message: 'x', contact: parseContact('+15550100'), expiresAt }),
          ),
          expiresAt: expiresAt * 1000,
          withdrawHash: bytesToBase64(new Uint8Array(32)),
        },
      ],
    }),
  });
};

/** How long health may take to report a frozen disk before the test fails (and thaws it). */
const STALL_WAIT_MS = 60_000;

describe('storage that stops answering', () => {
  for (const [what, write] of [
    ['an upload', upload],
    ['a notice', publishNotice],
  ] as const)
    it.skipIf(!mounted)(
      `health answers 503 with the reason while ${what} waits on a frozen disk`,
      async () => {
        const server = await spawnServer(join(point, 'reports.db'), { RATE_LIMIT_UPLOADS: '0' });
        let frozen = false;
        try {
          expect((await write(server.url)).status).toBe(200);
          execFileSync('fsfreeze', ['-f', point]);
          frozen = true;
          const stalled = write(server.url);
          let answer: { status: number; detail?: string } | undefined;
          // Health answers while the disk stays frozen (a health request that waited on it would
          // hold this loop until the test's time runs out), and says so once the server's own
          // stall threshold has passed; asked again a few times a second until then.
          // Given up before the test's own time runs out, so that `finally` thaws the disk: a test
          // stopped while it is frozen would leave it frozen, and the server stuck on it for good.
          const giveUpAt = performance.now() + STALL_WAIT_MS;
          while (performance.now() < giveUpAt) {
            const health = await fetch(`${server.url}/v1/health`, {
              signal: AbortSignal.timeout(Math.max(1, Math.ceil(giveUpAt - performance.now()))),
            });
            answer = { status: health.status, ...((await health.json()) as { detail?: string }) };
            if (health.status === 503) break;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          expect(answer?.status).toBe(503);
          expect(answer?.detail).toMatch(/a write has waited \d+ s for the disk: storage is not answering/);
          execFileSync('fsfreeze', ['-u', point]);
          frozen = false;
          expect((await stalled).status).toBe(200);
          expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
        } finally {
          if (frozen) execFileSync('fsfreeze', ['-u', point]);
          server.child.kill('SIGTERM');
          await server.exited;
        }
      },
      STALL_WAIT_MS + 30_000,
    );

  it('says plainly when this machine cannot freeze a file system to test on', () => {
    if (!mounted) console.log('skipped: a stalled disk needs root to mount and freeze a loop file system');
    expect(true).toBe(true);
  });
});
