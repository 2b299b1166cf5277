import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { startNodeServer, type RunningServer } from '../../src/node-server.ts';
import { CONTRACT_CONFIG, CONTRACT_NOW, contractSuite } from '../contract/suite.ts';

describe('HTTP contract on Node (real server, real SQLite file)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'crowdfind-contract-'));
  let server: RunningServer;
  let now = CONTRACT_NOW;

  beforeAll(async () => {
    server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'reports.db'),
      config: CONTRACT_CONFIG,
      clock: () => now,
      log: () => {},
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  contractSuite(() => ({
    request: (path, init) => fetch(server.url + path, init),
    setNow: (ms) => {
      now = ms;
    },
    prune: async () => {
      await server.prune();
    },
  }));
});
