// Starting the server the way a self-hoster does (`npm start`): conditions that would make it
// run wrongly, or die with a stack, are refused with one line that names the cause.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../bench/spawn-server.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-startup-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const MAIN = fileURLToPath(new URL('../../src/runtime/node/main.ts', import.meta.url));

/** Runs `npm start`'s entry point until it exits; its exit code and what it wrote. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** A port nothing listens on now. */
async function freePort(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return String(port);
}

const options = (databasePath: string) => ({
  port: 0,
  host: '127.0.0.1',
  databasePath,
  config: DEFAULT_CONFIG,
  log: () => {},
});

describe('starting the server', () => {
  it('refuses a second server on the same database file, and frees the file when the first stops', async () => {
    const databasePath = join(folder, 'shared.db');
    const first = await startNodeServer(options(databasePath));
    await expect(startNodeServer(options(databasePath))).rejects.toThrow(
      `another Crowdfind server is using ${databasePath}`,
    );
    // The same file by another spelling of its path is the same file.
    await expect(startNodeServer(options(join(folder, '.', 'shared.db')))).rejects.toThrow(/another Crowdfind server/);
    await first.close();
    const next = await startNodeServer(options(databasePath));
    await next.close();
  });

  it('npm start on a file another server holds: one line, exit 1', async () => {
    const databasePath = join(folder, 'held.db');
    const running = await spawnServer(databasePath);
    try {
      const { code, stderr } = await runMain({ PORT: await freePort(), DATABASE_PATH: databasePath });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `Crowdfind could not start: another Crowdfind server is using ${databasePath}; run one server per database file`,
      ]);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  });

  it('npm start on a port in use: one line, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stderr } = await runMain({ PORT: String(port), DATABASE_PATH: join(folder, 'port.db') });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `Crowdfind could not start: port ${port} on 127.0.0.1 is already in use`,
      ]);
    } finally {
      blocker.close();
    }
  });

  it('npm start with a malformed setting names the variable in one line', async () => {
    const { code, stderr } = await runMain({
      PORT: await freePort(),
      DATABASE_PATH: join(folder, 'env.db'),
      MAX_BATCH: 'lots',
    });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'Crowdfind could not start: MAX_BATCH must be an integer of at least 1, got "lots"',
    ]);
  });
});
