// What bounds a server's growth whatever one client does: reports per client (not only
// requests), a storage budget with a warning before it, and connections per client.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';
import { DEFAULT_CONFIG, type AppConfig } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';
import { freshReports } from '../../bench/synthetic-reports.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-growth-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let databases = 0;

async function serverWith(config: Partial<AppConfig>, maxConnectionsPerClient?: number) {
  const lines: string[] = [];
  const server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: join(folder, `growth-${databases++}.db`),
    config: { ...DEFAULT_CONFIG, uploadsPerMinute: 0, ...config },
    log: (line) => lines.push(line),
    ...(maxConnectionsPerClient === undefined ? {} : { maxConnectionsPerClient }),
  });
  return { server, lines };
}

/** A binary upload of `count` reports of fresh ids, observed a minute ago. */
function upload(url: string, count: number) {
  const reports = freshReports(count);
  return fetch(`${url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: encodeBinaryUpload(reports),
  });
}

describe('growth a client cannot push past', () => {
  it('counts reports per client, not requests: a flood of fresh ids is refused with 429 and Retry-After', async () => {
    const { server } = await serverWith({ reportsPerMinute: 4000 }); // bursts of 1,000
    try {
      expect((await upload(server.url, 600)).status).toBe(200);
      const refused = await upload(server.url, 600);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/too many reports from this client/);
    } finally {
      await server.close();
    }
  });

  it('warns in health near the storage budget, and refuses uploads past it with 507', async () => {
    const { server } = await serverWith({ storageBudgetBytes: 512 * 1024 });
    try {
      expect(await (await fetch(`${server.url}/v1/health`)).json()).toEqual({
        status: 'ok',
        budgets: { reports: { bytes: expect.any(Number), budgetBytes: 512 * 1024 } },
      });
      let status = 200;
      let warned: { status: string; warning?: string } | undefined;
      for (let i = 0; i < 300 && status === 200; i++) {
        status = (await upload(server.url, 50)).status;
        const health = await fetch(`${server.url}/v1/health`);
        if (health.status === 200) {
          const body = (await health.json()) as { status: string; warning?: string };
          if (body.warning) warned ??= body;
        }
      }
      expect(warned?.warning).toMatch(/reports hold 9\d % of their storage budget/);
      expect(status).toBe(507);
      const full = await upload(server.url, 1);
      expect(full.status).toBe(507);
      expect(((await full.json()) as { detail: string }).detail).toMatch(/uploads are refused until reports expire/);
      const health = await fetch(`${server.url}/v1/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { detail: string }).detail).toMatch(/storage budget/);
    } finally {
      await server.close();
    }
  });

  it('closes a client’s connections past its limit, logs that without the address, and serves it again once it lets go', async () => {
    const { server, lines } = await serverWith({}, 20);
    const { port } = new URL(server.url);
    try {
      // Each connection asks for health: the server answers on those it keeps and closes the rest.
      const sockets: Socket[] = [];
      const outcomes = await Promise.all(
        Array.from(
          { length: 30 },
          () =>
            new Promise<'answered' | 'closed'>((resolve) => {
              const socket = createConnection(Number(port), '127.0.0.1', () =>
                socket.write('GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n'),
              );
              sockets.push(socket);
              socket.on('error', () => {}); // a closed one may be reset while it writes
              socket.once('data', () => resolve('answered'));
              socket.once('close', () => resolve('closed'));
            }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'closed')).toHaveLength(10);
      expect(outcomes.filter((outcome) => outcome === 'answered')).toHaveLength(20);
      expect(lines.some((l) => /refused \d+ connections of clients already holding 20/.test(l))).toBe(true);
      expect(lines.filter((l) => l.startsWith('refused')).some((l) => l.includes('127.0.0.1'))).toBe(false);
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise((resolve) => (socket.closed ? resolve(true) : (socket.once('close', resolve), socket.end()))),
        ),
      );
      // The server hears of the closes on its own turn: a connection that comes before it has
      // is still refused, and the next one is tried.
      const health = async (): Promise<Response> => fetch(`${server.url}/v1/health`).catch(health);
      expect((await health()).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
