// Another process holding the database's write lock (a backup tool, an sqlite3 shell left in a
// transaction): uploads are refused with 503 and Retry-After, health says why, and both recover
// when the lock is let go.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshReports } from '../../bench/synthetic-reports.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-lock-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Another process that takes the write lock, says "locked", and holds it until its stdin ends. */
async function holdLock(databasePath: string) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require('better-sqlite3'))(process.argv[1]);
       db.exec('BEGIN IMMEDIATE');
       console.log('locked');
       process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); });
       process.stdin.resume();`,
      databasePath,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    void exited.then(() => reject(new Error('the locking process exited')));
  });
  return async () => {
    child.stdin.end();
    await exited;
  };
}

const upload = (url: string) =>
  fetch(`${url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: encodeBinaryUpload(freshReports(10)),
  });

describe('a database locked by another process', () => {
  it('refuses uploads with 503 and Retry-After, health reports the lock, and both recover once it is let go', async () => {
    const databasePath = join(folder, 'locked.db');
    const server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath,
      config: DEFAULT_CONFIG,
      log: () => {},
    });
    try {
      expect((await upload(server.url)).status).toBe(200);
      const letGo = await holdLock(databasePath);
      const refused = await upload(server.url);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/SQLITE_BUSY/);
      const health = await fetch(`${server.url}/v1/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { detail: string }).detail).toMatch(
        /^the database is locked by another connection \(SQLITE_BUSY\)/,
      );
      await letGo();
      expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
      expect((await upload(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
