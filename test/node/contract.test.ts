import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import { CONTRACT_CONFIG, CONTRACT_NOW, contractSuite } from '../contract/suite.ts';

describe('HTTP contract on Node (real server, real SQLite file)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'crowdfind-contract-'));
  let server: RunningServer;
  let now = CONTRACT_NOW;
  const logLines: string[] = [];

  beforeAll(async () => {
    server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'reports.db'),
      config: CONTRACT_CONFIG,
      clock: () => now,
      log: (line) => logLines.push(line),
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

  // Runs after the whole suite: every line it logged, checked for what must never be there.
  it('logs no id, payload or client address: only method, path, status and duration', () => {
    const requests = logLines.filter((line) => /^[A-Z]+ \//.test(line));
    expect(requests.length).toBeGreaterThan(30);
    for (const line of requests) expect(line).toMatch(/^[A-Z]+ \/[\w/.:-]* \d{3} \d+\.\dms$/);
    // The start-up line names the server's own address; every client here is 127.0.0.1 too.
    for (const line of logLines.filter((l) => !l.startsWith('Crowdfind listening on'))) {
      expect(line).not.toMatch(/[A-Za-z0-9+/]{40,}={0,2}/);
      expect(line).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
    }
  });
});
