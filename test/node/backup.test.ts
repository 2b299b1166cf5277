// `crowdfind backup` against the real server process under load: the copy, restored into a new
// server, holds every report acknowledged before the backup started, and uploads went on.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../bench/spawn-server.ts';
import { bytesToBase64 } from '../../crypto/index.ts';
import { STREAM_IDS, streamUploads, type SentReport } from './upload-stream.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-backup-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const CLI = fileURLToPath(new URL('../../bin/crowdfind.js', import.meta.url));
const NO_LIMITS = { RATE_LIMIT_UPLOADS: '0', RATE_LIMIT_REPORTS: '0', RATE_LIMIT_QUERIES: '0' };

/** The CLI in a process of its own, as an operator runs it beside the server. */
async function crowdfind(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: process.env });
    return { code: 0, stderr };
  } catch (error) {
    return { code: (error as { code: number }).code, stderr: (error as { stderr: string }).stderr };
  }
}

/** Every report the server at `url` answers for the streams' ids, as "id:payload". */
async function storedReports(url: string): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor: string | null = null;
  do {
    const response = await fetch(`${url}/v1/reports/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: STREAM_IDS.map(bytesToBase64), limit: 10_000, ...(cursor ? { cursor } : {}) }),
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { reports: Array<{ id: string; payload: string }>; nextCursor: string };
    for (const report of page.reports) found.add(`${report.id}:${report.payload}`);
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

const keyOf = (report: SentReport) => `${bytesToBase64(report.hashedId)}:${bytesToBase64(report.payload)}`;

describe('crowdfind backup', () => {
  it('copies a database under upload load; the restored copy has every report acknowledged before it began', async () => {
    const live = join(folder, 'live.db');
    const server = await spawnServer(live, NO_LIMITS);
    const stream = streamUploads(server.url, 4);
    await stream.acknowledgedAtLeast(500);
    const acknowledgedBefore = stream.acknowledged.slice();

    const out = join(folder, 'copy.db');
    const backup = await crowdfind('backup', '--db', live, '--out', out);
    const acknowledgedDuring = stream.acknowledged.length - acknowledgedBefore.length;
    await stream.stop();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(backup, backup.stderr).toMatchObject({ code: 0 });
    expect(backup.stderr).toMatch(/^backed up .* to .*copy\.db: \d+ reports\n$/);
    // Ingest went on while the copy was made.
    expect(acknowledgedDuring).toBeGreaterThan(0);

    // Restored where no server ran before: no -wal, -shm or .ack of another file beside it.
    const restored = join(mkdtempSync(join(folder, 'restored-')), 'crowdfind.db');
    copyFileSync(out, restored);
    const copyServer = await spawnServer(restored, NO_LIMITS);
    try {
      const found = await storedReports(copyServer.url);
      const missing = acknowledgedBefore.map(keyOf).filter((key) => !found.has(key));
      expect(missing).toHaveLength(0);
    } finally {
      copyServer.child.kill('SIGTERM');
      await copyServer.exited;
    }
  }, 180_000);

  it('refuses to replace a file, and a database that is not there, with exit 2', async () => {
    const taken = join(folder, 'taken.db');
    writeFileSync(taken, 'keep me');
    const replace = await crowdfind('backup', '--db', join(folder, 'live.db'), '--out', taken);
    expect(replace.code).toBe(2);
    expect(replace.stderr).toBe(`crowdfind backup: ${taken} already exists; a backup never replaces a file\n`);
    const absent = join(folder, 'absent.db');
    const missing = await crowdfind('backup', '--db', absent, '--out', join(folder, 'never.db'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`crowdfind backup: no database at ${absent} (--db, or DATABASE_PATH)\n`);
    expect(existsSync(join(folder, 'never.db'))).toBe(false);
  }, 60_000);
});
