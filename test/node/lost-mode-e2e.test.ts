// Lost mode end to end on the Node server (real HTTP, real SQLite file, real mosquitto), and
// what must never reach its database or its log.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import {
  MOSQUITTO,
  CONTACT,
  LATITUDE,
  LONGITUDE,
  lostModeScenario,
  MESSAGE,
  startBroker,
} from '../e2e/lost-mode-scenario.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-lost-'));
const log: string[] = [];
let server: RunningServer;
let broker: Awaited<ReturnType<typeof startBroker>>;

beforeAll(async () => {
  if (!MOSQUITTO) return;
  broker = await startBroker();
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: join(folder, 'reports.db'),
    // The webhook receiver is on loopback, which an operator has to allow.
    config: { ...DEFAULT_CONFIG, webhookAllowPrivate: true },
    log: (line) => log.push(line),
  });
});
afterAll(async () => {
  await server?.close();
  await broker?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(!MOSQUITTO)('lost mode on Node', () => {
  it('notice, finder, SSE, webhook, watch, MQTT, beacon and withdrawal, end to end', async () => {
    const { deliveryMs, uploadMs } = await lostModeScenario(server.url, folder, broker.url);
    // Pushed as it is stored: the owner hears of the sighting sooner than the finder's upload took.
    expect(deliveryMs).toBeLessThan(uploadMs);
  }, 60_000);

  it('logs no refusal of the owner’s own notice calls: lost on, status and off ask only for what is there', () => {
    expect(log.filter((line) => line.includes('/v1/notices') && / 4\d\d\b/.test(line))).toEqual([]);
    expect(log.some((line) => line.includes('/v1/notices/withdraw'))).toBe(true);
  });

  it('leaves no message, contact or location in the database files or the log', () => {
    const files = readdirSync(folder).filter((name) => name.startsWith('reports.db'));
    expect(files.length).toBeGreaterThan(0);
    const stored = Buffer.concat(files.map((name) => readFileSync(join(folder, name))));
    const logged = log.join('\n');
    const e7 = (degrees: number) => {
      const bytes = Buffer.alloc(4);
      bytes.writeInt32BE(Math.round(degrees * 1e7));
      return bytes;
    };
    for (const secret of [MESSAGE, 'Green backpack', CONTACT, String(LATITUDE), String(LONGITUDE), '48.1']) {
      expect(stored.includes(Buffer.from(secret)), secret).toBe(false);
      expect(logged.includes(secret), secret).toBe(false);
    }
    for (const coordinate of [LATITUDE, LONGITUDE]) expect(stored.includes(e7(coordinate))).toBe(false);
    expect(logged).not.toMatch(/[A-Za-z0-9+/]{40,}={0,2}/);
  });
});
