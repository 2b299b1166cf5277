// An acknowledged upload must survive kill -9 of the real server process (the npm start path).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/sqlite-store.ts';
import { binaryUpload, newOwner, sealFor } from '../contract/fixtures.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-kill-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startServer(databasePath: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], {
    env: { ...process.env, PORT: String(port), DATABASE_PATH: databasePath },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve());
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

describe('durability', () => {
  it('keeps every acknowledged report after SIGKILL, and the file passes integrity_check', async () => {
    const databasePath = join(folder, 'reports.db');
    const { child, url } = await startServer(databasePath);
    const owner = newOwner();
    const reports = Array.from({ length: 40 }, (_, k) => sealFor(owner, Date.now() - k * 60_000));
    const response = await fetch(`${url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: binaryUpload(reports) });
    expect(await response.json()).toEqual({ accepted: 40, duplicates: 0 });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const db = openDatabase(databasePath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n).toBe(40);
    db.close();
  });

  it('on SIGTERM finishes and exits cleanly', async () => {
    const { child, url } = await startServer(join(folder, 'term.db'));
    expect((await fetch(`${url}/v1/health`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
