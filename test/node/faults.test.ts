// Resource faults over real HTTP on a real SQLite file: a full disk and a locked database
// answer 503 problem+json, store nothing partially, and the server recovers when they clear;
// a request that arrives too slowly is cut off.
import { connect, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { appStores } from '../../src/storage/sqlite/app-stores.ts';
import { binaryUpload, newOwner, sealFor } from '../contract/fixtures.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-faults-'));
const databasePath = join(folder, 'reports.db');
let db: Database.Database;
let url: string;
let close: () => void;

beforeAll(async () => {
  db = openDatabase(databasePath);
  const app = createApp({
    ...appStores(db),
    config: DEFAULT_CONFIG,
    log: () => {},
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => {
  close();
  db.close();
  rmSync(folder, { recursive: true, force: true });
});

const upload = (body: Uint8Array) =>
  fetch(`${url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
const count = () => (db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;

describe('resource faults', () => {
  it('answers 503 when the disk is full, stores nothing of the batch, and recovers', async () => {
    const owner = newOwner();
    const reports = Array.from({ length: 150 }, (_, k) => sealFor(owner, Date.now() - k * 1000));
    const before = count();
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 2}`);
    const full = await upload(binaryUpload(reports));
    expect(full.status).toBe(503);
    expect(full.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await full.json()) as { detail: string }).detail).toMatch(/SQLITE_FULL/);
    expect(count()).toBe(before);

    db.pragma('max_page_count = 1073741823');
    const retried = await upload(binaryUpload(reports));
    expect(await retried.json()).toEqual({ accepted: 150, duplicates: 0 });
    expect(count()).toBe(before + 150);
  });

  it('answers 503 while another connection holds the write lock, and recovers', async () => {
    const other = new Database(databasePath);
    other.exec('BEGIN IMMEDIATE');
    const owner = newOwner();
    const reports = [sealFor(owner, Date.now())];
    const before = count();
    const locked = await upload(binaryUpload(reports));
    expect(locked.status).toBe(503);
    expect(locked.headers.get('retry-after')).toBe('1');
    expect(((await locked.json()) as { detail: string }).detail).toMatch(/SQLITE_BUSY/);
    other.exec('ROLLBACK');
    other.close();
    expect(count()).toBe(before);
    expect(await (await upload(binaryUpload(reports))).json()).toEqual({ accepted: 1, duplicates: 0 });
  });
});

describe('slow requests', () => {
  it('cuts off a request whose body arrives too slowly', async () => {
    const slow = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'slow.db'),
      config: DEFAULT_CONFIG,
      log: () => {},
      requestTimeoutMs: 1000,
    });
    const { port } = new URL(slow.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.write(
      'POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1200\r\n\r\n' +
        'x'.repeat(10),
    );
    const started = Date.now();
    await new Promise((resolve) => socket.on('close', resolve));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    await slow.close();
  });
});
