// Lost mode and the owner↔device channel end to end on the Worker, served by `wrangler dev`
// (workerd, local D1, the Durable Object) as a real HTTP server, with the same scenarios as on Node.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK, channelScenario, LOCK_SCREEN, PHONE_LATITUDE, PHOTO } from '../e2e/channel-scenario.ts';
import { MOSQUITTO, CONTACT, LATITUDE, lostModeScenario, MESSAGE, startBroker } from '../e2e/lost-mode-scenario.ts';
import { startWranglerDev, WRANGLER_DEV_START_MS, type WranglerDev } from '../e2e/wrangler-dev.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-worker-lost-'));
const persist = join(folder, 'state');
let dev: WranglerDev;
let url: string;
let broker: Awaited<ReturnType<typeof startBroker>>;

beforeAll(async () => {
  if (MOSQUITTO) broker = await startBroker();
  // Both scenarios come from one address; the limits are tested elsewhere.
  dev = await startWranglerDev(persist, { WEBHOOK_ALLOW_PRIVATE: '1', RATE_LIMIT_QUERIES: '0' });
  url = dev.url;
}, WRANGLER_DEV_START_MS);
afterAll(async () => {
  await Promise.all([dev?.stop(), broker?.stop()]);
  rmSync(folder, { recursive: true, force: true });
});

/** Every file under a folder, as one buffer. */
function allBytes(path: string): Buffer {
  if (statSync(path).isFile()) return readFileSync(path);
  return Buffer.concat(readdirSync(path).map((name) => allBytes(join(path, name))));
}

describe('the owner↔device channel on the Worker (wrangler dev)', () => {
  it('pair, every command answered and shown, forgeries, replays, expired and stale commands and statements refused, out-of-order taken once, the phone unpairs alone', async () => {
    await channelScenario(url, folder);
  }, 120_000);

  it('leaves no command text, message, location or photo bytes in local D1, R2 or the Worker’s log', () => {
    const stored = allBytes(persist);
    for (const secret of [LOCK_SCREEN, CALLBACK, String(PHONE_LATITUDE)]) {
      expect(stored.includes(Buffer.from(secret)), secret).toBe(false);
      expect(dev.output().includes(secret), secret).toBe(false);
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
      expect(dev.output().includes(secret), secret).toBe(false);
    }
  });
});
