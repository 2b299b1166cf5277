// Lost mode and the owner↔device channel end to end on the Worker, served by `wrangler dev`
// (workerd, local D1, the Durable Object) as a real HTTP server, with the same scenarios as on Node.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/spawn-server.ts';
import { CALLBACK, channelScenario, LOCK_SCREEN, PHONE_LATITUDE, PHOTO } from '../e2e/channel-scenario.ts';
import { MOSQUITTO, CONTACT, LATITUDE, lostModeScenario, MESSAGE, startBroker } from '../e2e/lost-mode-scenario.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-worker-lost-'));
const persist = join(folder, 'state');
// Quiet and offline, as `npm run dev:worker` runs it.
const env = {
  ...process.env,
  WRANGLER_HIDE_BANNER: 'true',
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};
let dev: ChildProcess;
let devExited: Promise<void> | undefined;
let output = '';
let url: string;
let broker: Awaited<ReturnType<typeof startBroker>>;

beforeAll(async () => {
  if (MOSQUITTO) broker = await startBroker();
  const migrated = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr}`);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  dev = spawn(
    wrangler,
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      persist,
      '--var',
      'WEBHOOK_ALLOW_PRIVATE:1',
      // Both scenarios come from one address; the limits are tested elsewhere.
      '--var',
      'RATE_LIMIT_QUERIES:0',
      '--show-interactive-dev-session=false',
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  devExited = new Promise((resolve) => dev.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready on')) resolve();
    };
    dev.stdout!.on('data', collect);
    dev.stderr!.on('data', collect);
    void devExited!.then(() => reject(new Error(`wrangler dev did not start:\n${output}`)));
  });
}, 180_000);
afterAll(async () => {
  dev?.kill();
  await Promise.all([devExited, broker?.stop()]);
  rmSync(folder, { recursive: true, force: true });
});

/** Every file under a folder, as one buffer. */
function allBytes(path: string): Buffer {
  if (statSync(path).isFile()) return readFileSync(path);
  return Buffer.concat(readdirSync(path).map((name) => allBytes(join(path, name))));
}

describe('the owner↔device channel on the Worker (wrangler dev)', () => {
  it('pair, every command answered, forgeries, replays and expired commands refused, a reset phone lost', async () => {
    await channelScenario(url, folder);
  }, 120_000);

  it('leaves no command text, message, location or photo bytes in local D1, R2 or the Worker’s log', () => {
    const stored = allBytes(persist);
    for (const secret of [LOCK_SCREEN, CALLBACK, String(PHONE_LATITUDE)]) {
      expect(stored.includes(Buffer.from(secret)), secret).toBe(false);
      expect(output.includes(secret), secret).toBe(false);
    }
    // Local D1 and the local R2 bucket are both under the persist folder.
    for (const at of [0, 65_536, 150_000])
      expect(stored.includes(Buffer.from(PHOTO.subarray(at, at + 64)))).toBe(false);
  });
});

describe.skipIf(!MOSQUITTO)('lost mode on the Worker (wrangler dev)', () => {
  it('notice, finder, SSE, webhook, watch, MQTT, beacon and withdrawal, end to end', async () => {
    const { deliveryMs, uploadMs } = await lostModeScenario(url, folder, broker.url);
    // Pushed as it is stored: the owner hears of the sighting sooner than the finder's upload took.
    expect(deliveryMs).toBeLessThan(uploadMs);
  }, 90_000);

  it('leaves no message, contact or location in local D1 or the Worker’s log', () => {
    const stored = allBytes(persist);
    for (const secret of [MESSAGE, CONTACT, String(LATITUDE), '48.1']) {
      expect(stored.includes(Buffer.from(secret)), secret).toBe(false);
      expect(output.includes(secret), secret).toBe(false);
    }
  });
});
