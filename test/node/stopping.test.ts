// The real server process on SIGTERM: requests already running finish; new work that arrives on
// a connection still open is refused with 503 and Retry-After instead of being taken on.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../../bench/spawn-server.ts';
import { syntheticPayload } from '../../bench/synthetic-reports.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-stopping-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Sends one request and resolves to the response with its whole body. */
function send(
  url: string,
  agent: Agent,
  method: string,
  body?: string,
): Promise<{ response: IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, agent, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ response, text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('stopping the server', () => {
  it('finishes in-flight requests and answers new ones 503 with Retry-After', async () => {
    const databasePath = join(folder, 'stopping.db');
    const { child, url, exited } = await spawnServer(databasePath);
    // One connection, kept alive: the event stream runs on it, and the next request reuses it.
    const keptAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const subscribe = JSON.stringify({ ids: [randomBytes(32).toString('base64')], ttlSeconds: 600 });
    const created = await send(`${url}/v1/subscriptions`, keptAlive, 'POST', subscribe);
    expect(created.response.statusCode).toBe(201);
    const stream = send(url + (JSON.parse(created.text) as { events: string }).events, keptAlive, 'GET');

    // An upload whose headers the server has taken (it answered 100 Continue) but whose body is
    // still to come: in flight when the signal arrives.
    const now = Math.floor(Date.now() / 1000);
    const reports = [{ hashedId: randomBytes(32), payload: syntheticPayload(now) }];
    const body = encodeBinaryUpload(reports);
    const uploadAgent = new Agent({ keepAlive: false });
    let upload!: ReturnType<typeof request>;
    const uploaded = new Promise<{ status: number | undefined; text: string }>((resolve, reject) => {
      upload = request(
        `${url}/v1/reports`,
        {
          method: 'POST',
          agent: uploadAgent,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': body.length,
            expect: '100-continue',
          },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode, text }));
        },
      );
      upload.on('error', reject);
    });
    await new Promise((resolve) => upload.once('continue', resolve));
    upload.write(body.subarray(0, 10));

    child.kill('SIGTERM');
    // The server ends event streams as it stops: once this one has ended, it is stopping.
    const ended = await stream;
    expect(ended.text).toContain('event: end');

    const refused = await send(`${url}/v1/subscriptions`, keptAlive, 'POST', subscribe);
    expect(refused.response.statusCode).toBe(503);
    expect(Number(refused.response.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.response.headers.connection).toBe('close');
    expect(JSON.parse(refused.text)).toMatchObject({ status: 503, detail: expect.stringMatching(/stopping/) });

    upload.end(body.subarray(10));
    expect(await uploaded).toEqual({ status: 200, text: JSON.stringify({ accepted: 1, duplicates: 0 }) });
    expect(await exited).toBe(0);
    keptAlive.destroy();

    const db = new Database(databasePath, { readonly: true });
    try {
      const stored = db.prepare('SELECT count(*) FROM reports WHERE hashed_id = ?').pluck().get(reports[0]!.hashedId);
      expect(stored).toBe(1);
    } finally {
      db.close();
    }
  });
});
