// Crash safety of the real server process (the npm start path): every acknowledged upload
// survives SIGKILL mid-stream, again and again on the same file; SIGTERM loses nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../bench/spawn-server.ts';
import { streamUploads, type SentReport } from './upload-stream.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-kill-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const startServer = (databasePath: string) =>
  spawnServer(databasePath, { RATE_LIMIT_UPLOADS: '0', RATE_LIMIT_REPORTS: '0' });

function checkDatabase(path: string, acknowledged: readonly SentReport[]) {
  const db = new Database(path, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const present = db.prepare('SELECT 1 FROM reports WHERE hashed_id = ? AND payload = ?').pluck();
    const missing = acknowledged.filter((r) => present.get(r.hashedId, r.payload) === undefined);
    expect(missing).toHaveLength(0);
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it('keeps every acknowledged report through repeated SIGKILL under concurrent uploads', async () => {
    const databasePath = join(folder, 'killed.db');
    const acknowledged: SentReport[] = [];
    for (let round = 0; round < 3; round++) {
      const { child, url, exited } = await startServer(databasePath);
      const stream = streamUploads(url, 4);
      // Killed mid-stream: once uploads are being acknowledged, at a moment of chance after that.
      await stream.acknowledgedAtLeast(1);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 500));
      child.kill('SIGKILL');
      await exited;
      await stream.stop();
      expect(stream.acknowledged.length, `round ${round}`).toBeGreaterThan(0);
      acknowledged.push(...stream.acknowledged);
      checkDatabase(databasePath, acknowledged);
    }
  });

  it('on SIGTERM finishes in-flight uploads, loses nothing acknowledged and exits promptly', async () => {
    const databasePath = join(folder, 'terminated.db');
    const { child, url, exited } = await startServer(databasePath);
    const stream = streamUploads(url, 6);
    await stream.acknowledgedAtLeast(1);
    const signalled = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
    await stream.stop();
    expect(stream.acknowledged.length).toBeGreaterThan(0);
    checkDatabase(databasePath, stream.acknowledged);
  });
});
