// Crash safety of the real server process (the npm start path): every acknowledged upload
// survives SIGKILL mid-stream, again and again on the same file; SIGTERM loses nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../bench/spawn-server.ts';
import { SHUTDOWN_GRACE_MS } from '../../src/runtime/node/server.ts';
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
      // Killed at a different point each round, while the other clients' uploads are in flight.
      await stream.acknowledgedAtLeast(25 * (1 + Math.floor(Math.random() * 12)), exited);
      child.kill('SIGKILL');
      await exited;
      await stream.stop();
      expect(stream.acknowledged.length, `round ${round}`).toBeGreaterThan(0);
      acknowledged.push(...stream.acknowledged);
      checkDatabase(databasePath, acknowledged);
    }
    // Three starts of the real server (tsx compiles it each time) take 20-30 s on a busy 2-core machine.
  }, 120_000);

  it('on SIGTERM finishes in-flight uploads, loses nothing acknowledged and exits promptly', async () => {
    const databasePath = join(folder, 'terminated.db');
    const { child, url, exited } = await startServer(databasePath);
    const stream = streamUploads(url, 6);
    await stream.acknowledgedAtLeast(6 * 25, exited);
    const signalled = performance.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Promptly: the open connections closed as their requests ended, not when the grace ran out.
    expect(performance.now() - signalled).toBeLessThan(SHUTDOWN_GRACE_MS);
    await stream.stop();
    expect(stream.acknowledged.length).toBeGreaterThan(0);
    checkDatabase(databasePath, stream.acknowledged);
  }, 60_000);
});
