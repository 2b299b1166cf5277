// The owner↔device channel end to end on the Node server, and what never reaches its database or log.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import { CALLBACK, channelScenario, LOCK_SCREEN, PHONE_LATITUDE, PHOTO } from '../e2e/channel-scenario.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-channel-'));
const log: string[] = [];
let server: RunningServer;

beforeAll(async () => {
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: join(folder, 'reports.db'),
    config: { ...DEFAULT_CONFIG, queriesPerMinute: 0 },
    log: (line) => log.push(line),
  });
});
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the owner↔device channel on Node', () => {
  it('pair, every command answered and shown, forgeries, replays, expired and stale commands and statements refused, out-of-order taken once, the phone unpairs alone', async () => {
    await channelScenario(server.url, folder);
  }, 120_000);

  it('leaves no command text, message, location or photo bytes in the database files or the log', () => {
    const stored = Buffer.concat(
      readdirSync(folder)
        .filter((name) => name.startsWith('reports.db'))
        .map((name) => readFileSync(join(folder, name))),
    );
    const logged = log.join('\n');
    for (const secret of [LOCK_SCREEN, CALLBACK, 'Call me', String(PHONE_LATITUDE), '"locate"', '"ring"']) {
      expect(stored.includes(Buffer.from(secret)), secret).toBe(false);
      expect(logged.includes(secret), secret).toBe(false);
    }
    for (const at of [0, 65_536, 150_000])
      expect(stored.includes(Buffer.from(PHOTO.subarray(at, at + 64)))).toBe(false);
  });
});
