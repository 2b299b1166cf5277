// `crowdfind watch` through server restarts: the real server process is killed (-9) or stopped
// (SIGTERM) and started again on the same port and SQLite file while the watch runs. The watch
// waits and subscribes again by itself, and every report stored meanwhile is printed exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../../bench/spawn-server.ts';
import { runCli } from '../../src/cli/main.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-watch-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** Waits for something the watch prints (the test's time limit bounds the wait). */
const printed = (what: () => boolean) => expect.poll(what, { timeout: 60_000, interval: 20 }).toBe(true);

describe('watch across server restarts', () => {
  it('subscribes again after kill -9 and SIGTERM, and prints each report stored meanwhile once', async () => {
    const databasePath = join(folder, 'restarts.db');
    const keys = join(folder, 'tag.json');
    expect((await cli('keys', 'new', '--name', 'tag', '--out', keys)).code).toBe(0);
    const [{ advertisementKey }] = JSON.parse((await cli('keys', 'show', '--keys', keys)).stdout) as [
      { advertisementKey: string },
    ];
    const upload = async (server: string, latitude: number) => {
      const sent = await cli(
        'report',
        '--key',
        advertisementKey,
        '--lat',
        String(latitude),
        '--lon',
        '7',
        '--server',
        server,
      );
      expect(sent.code, sent.stderr).toBe(0);
    };
    const inProcess = (port: number) =>
      startNodeServer({ port, host: '127.0.0.1', databasePath, config: DEFAULT_CONFIG, log: () => {} });
    /** Another server on the same file, on a port the watch does not know: it stores a report while the watch's server is down. */
    const storeWhileDown = async (latitude: number) => {
      const aside = await inProcess(0);
      try {
        await upload(aside.url, latitude);
      } finally {
        await aside.close();
      }
    };

    let server: SpawnedServer = await spawnServer(databasePath);
    const port = Number(new URL(server.url).port);
    let stdout = '';
    let stderr = '';
    const watching = runCli(['watch', '--keys', keys, '--server', server.url, '--format', 'json', '--count', '5'], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
    });
    const lines = () => stdout.split('\n').filter(Boolean);
    const retries = () => stderr.split('\n').filter((line) => line.includes('trying again in')).length;
    const subscriptions = () => stderr.split('\n').filter((line) => line.includes('watching')).length;
    try {
      await printed(() => subscriptions() === 1);
      await upload(server.url, 1);
      await printed(() => lines().length === 1);

      // kill -9: the stream breaks, and the server cannot be reached until it is back.
      server.child.kill('SIGKILL');
      await server.exited;
      await printed(() => retries() >= 1);
      await storeWhileDown(2);
      server = await spawnServer(databasePath, { PORT: String(port) });
      await upload(server.url, 3);
      await printed(() => subscriptions() === 2 && lines().length === 3);

      // SIGTERM: the stream ends, and the stopping server refuses the new subscription. The
      // server is back in this process this time (quicker to start; the same code).
      const retriesBefore = retries();
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      await printed(() => retries() > retriesBefore);
      await storeWhileDown(4);
      const last = await inProcess(port);
      try {
        await printed(() => subscriptions() === 3);
        await upload(last.url, 5);
        expect(await watching, stderr).toBe(0);
      } finally {
        await last.close();
      }
      const latitudes = lines().map((line) => (JSON.parse(line) as { latitude: number }).latitude);
      expect(latitudes.sort()).toEqual([1, 2, 3, 4, 5]);
      expect(stderr).toMatch(
        /cannot reach http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED[^;]*; trying again in [\d.]+ s/,
      );
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 120_000);
});
