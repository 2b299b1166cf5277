// Requests an attacker would send to make one request cost the server without bound, against
// a real server on a real SQLite file seeded with as many reports as the per-id cap allows.
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../schema/schema.ts';
import { bytesToBase64 } from '../../crypto/index.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';
import { MAX_COLLECTED_REPORTS } from '../../src/http/routes/collect-reports.ts';
import { INSERT_REPORT_SQL } from '../../src/storage/report-sql.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { syntheticPayload } from '../../bench/synthetic-reports.ts';
import { counted } from '../counted.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-hostile-'));
const databasePath = join(folder, 'reports.db');
const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;
const PER_DAY = DEFAULT_CONFIG.maxReportsPerIdPerDay;

/** One id with the cap's worth of reports on each of 7 days. */
const hot = randomFillSync(new Uint8Array(32));
/** Ids whose reports together are more than one answer may hold. */
const crowd = Array.from({ length: Math.ceil(MAX_COLLECTED_REPORTS / PER_DAY) + 1 }, () =>
  randomFillSync(new Uint8Array(32)),
);
let server: RunningServer;

beforeAll(async () => {
  const db = openDatabase(databasePath);
  const insert = db.prepare(INSERT_REPORT_SQL);
  db.transaction(() => {
    for (let day = 0; day < 7; day++) {
      for (let k = 0; k < PER_DAY; k++) {
        const timestamp = NOW - day * DAY - k;
        insert.run(bucketOf(timestamp), hot, timestamp, syntheticPayload(timestamp), NOW);
      }
    }
    for (const id of crowd) {
      for (let k = 0; k < PER_DAY; k++) {
        const timestamp = NOW - 2 * DAY - k;
        insert.run(bucketOf(timestamp), id, timestamp, syntheticPayload(timestamp), NOW);
      }
    }
  })();
  db.close();
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath,
    config: { ...DEFAULT_CONFIG, queriesPerMinute: 0 },
    log: () => {},
  });
}, 120_000);
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('one request cannot take the server down', () => {
  it('2,048 entries naming one id with 14,000 reports: each report once, a bounded answer', async () => {
    const id = bytesToBase64(hot);
    const legacy = await post('/acsnservice/fetch', { search: Array.from({ length: 2048 }, () => ({ ids: [id] })) });
    expect(legacy.status).toBe(200);
    const body = await legacy.text();
    // 14,000 reports of about 220 bytes each, not 2,048 copies of them (the unbounded answer was 248 MiB at 512 entries).
    expect(body.length).toBeLessThan(14_000 * 300);
    expect((JSON.parse(body) as { results: unknown[] }).results).toHaveLength(7 * PER_DAY);
    const v2 = await post('/findmyservice/v2/fetch', {
      fetch: Array.from({ length: 1024 }, () => ({ primaryIds: [id], secondaryIds: [id] })),
    });
    expect(v2.status).toBe(200);
    const groups = ((await v2.json()) as { acsnLocations: { locationPayload: Array<{ locationInfo: unknown[] }> } })
      .acsnLocations.locationPayload;
    expect(groups.map((g) => g.locationInfo.length)).toEqual([7 * PER_DAY]);
  });

  it('refuses with a clear 400 a request matching more reports than an answer may hold', async () => {
    const response = await post('/acsnservice/fetch', { search: [{ ids: crowd.map(bytesToBase64) }] });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await response.json()) as { detail: string }).detail).toMatch(
      /more than 100000 reports match this request; ask for fewer ids or a shorter window/,
    );
    // The server is still there for everyone else.
    expect((await fetch(server.url + '/v1/health')).status).toBe(200);
  });
});

describe('what reaches the log and what is echoed', () => {
  it('logs escaped, bounded lines; an aborted upload as a client that went away; echoes no path', async () => {
    const lines: string[] = [];
    const wentAway = counted(() => lines.filter((l) => /client went away/.test(l)).length);
    const logged = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'log.db'),
      config: DEFAULT_CONFIG,
      log: (line) => (lines.push(line), wentAway.changed()),
    });
    try {
      const { port } = new URL(logged.url);
      /** Sends raw bytes on one connection and hangs up once they are sent. */
      const hangUpAfter = (bytes: string) =>
        new Promise<void>((resolve) => {
          const socket = createConnection(Number(port), '127.0.0.1', () =>
            socket.write(bytes, () => (socket.destroy(), resolve())),
          );
        });
      const forged = await fetch(`${logged.url}/a%0AGET%20/forged%20200%201.0ms/%3Cscript%3E`);
      expect(forged.status).toBe(404);
      expect(((await forged.json()) as { detail: string }).detail).not.toMatch(/forged|script/);
      await fetch(`${logged.url}/${'x'.repeat(8000)}`);
      // An upload whose client hangs up half-way through its body.
      await hangUpAfter(
        'POST /v1/reports HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: 1200\r\n\r\n' +
          'x'.repeat(100),
      );
      await wentAway.reach(1);
      const requestLines = lines.filter((l) => !l.startsWith('Crowdfind listening'));
      expect(requestLines.every((l) => !/[\r\n]/.test(l) && l.length < 260)).toBe(true);
      expect(requestLines.some((l) => /^GET \/a%0AGET%20\/forged%20200%201\.0ms\/%3Cscript%3E 404 /.test(l))).toBe(
        true,
      );
      expect(requestLines.some((l) => /^POST \/v1\/reports client went away /.test(l))).toBe(true);
      expect(lines.some((l) => /internal error/.test(l))).toBe(false);
    } finally {
      await logged.close();
    }
  });
});
