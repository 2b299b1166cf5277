// The upload's body cap on the real Node server: a valid batch of the most reports is never
// refused for its whitespace, and a Content-Length past the cap is refused before the client is
// told to send (`Expect: 100-continue`).
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';
import { freshReports } from '../../bench/synthetic-reports.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-body-cap-'));
let server: RunningServer;
beforeAll(async () => {
  server = await startNodeServer({
    port: 0,
    host: '127.0.0.1',
    databasePath: join(folder, 'reports.db'),
    config: { ...DEFAULT_CONFIG, uploadsPerMinute: 0, reportsPerMinute: 0 },
    log: () => {},
  });
});
afterAll(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

/** Sends headers with `Expect: 100-continue` and no body; whether `100 Continue` came, and the final status. */
function expectContinue(headers: Record<string, string>): Promise<{ continued: boolean; status: number }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const { hostname, port } = new URL(server.url);
    const sent = request({
      hostname,
      port,
      method: 'POST',
      path: '/v1/reports',
      headers: { ...headers, expect: '100-continue' },
    });
    sent.on('continue', () => {
      continued = true;
      sent.destroy();
      resolve({ continued, status: 100 });
    });
    sent.on('response', (response) => {
      response.resume();
      sent.destroy();
      resolve({ continued, status: response.statusCode! });
    });
    sent.on('error', (error) => continued || reject(error));
    sent.flushHeaders();
  });
}

describe('the upload body cap', () => {
  it(`takes a valid batch of ${DEFAULT_CONFIG.maxBatch} reports pretty-printed with 8-space indents`, async () => {
    const reports = freshReports(DEFAULT_CONFIG.maxBatch).map((r) => ({
      id: bytesToBase64(r.hashedId),
      payload: bytesToBase64(r.payload),
    }));
    const body = JSON.stringify({ reports }, null, 8);
    expect(body.length).toBeGreaterThan(1_281_024); // the cap before, which refused it
    const response = await fetch(`${server.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ accepted: DEFAULT_CONFIG.maxBatch, duplicates: 0 });
  });

  it('refuses a Content-Length of 10^12 with 413 naming the cap in bytes, before 100 Continue', async () => {
    expect(
      await expectContinue({ 'content-type': 'application/octet-stream', 'content-length': String(10 ** 12) }),
    ).toEqual({ continued: false, status: 413 });
    expect(await expectContinue({ 'content-type': 'application/json', 'content-length': String(10 ** 12) })).toEqual({
      continued: false,
      status: 413,
    });
    const refused = await fetch(`${server.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(DEFAULT_CONFIG.maxBatch * 120 + 1025),
    });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { detail: string }).detail).toBe(
      `the body exceeds ${DEFAULT_CONFIG.maxBatch * 120 + 1024} bytes (MAX_BATCH ${DEFAULT_CONFIG.maxBatch} records of 120 bytes)`,
    );
  });

  it('sends 100 Continue to an upload within the cap', async () => {
    expect(await expectContinue({ 'content-type': 'application/octet-stream', 'content-length': '1200' })).toEqual({
      continued: true,
      status: 100,
    });
  });
});
