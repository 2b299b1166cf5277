// Acknowledged reports that the files lost after a crash are never served as if nothing
// happened. The real server (npm start) acknowledges 6,000 reports, is killed with SIGKILL,
// and each case damages a copy of what it left: the server then refuses to start with one line
// naming the loss, or answers health 503 with the reason, or serves every acknowledged report.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';
import { freePort, spawnServer } from '../../bench/spawn-server.ts';
import { hashedIdPopulation, syntheticPayload } from '../../bench/synthetic-reports.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-loss-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const MAIN = fileURLToPath(new URL('../../src/runtime/node/main.ts', import.meta.url));
const ENV = { RATE_LIMIT_UPLOADS: '0', RATE_LIMIT_REPORTS: '0', QUERIES_PER_MINUTE: '0' };
const ids = hashedIdPopulation(50);
const BATCHES = 60;
const BATCH = 100;
const crashed = join(folder, 'crashed.db');
/** The database, WAL and record files the killed server left, as a case's copy is named. */
const FILES = ['', '-wal', '.ack'];

/** Uploads BATCHES × BATCH reports, then one more report (so the last commit is in the WAL alone); how many were acknowledged. */
async function uploadAll(url: string): Promise<number> {
  let acknowledged = 0;
  const upload = async (size: number) => {
    const now = Math.floor(Date.now() / 1000);
    const reports = Array.from({ length: size }, (_, k) => ({
      hashedId: ids[k % ids.length]!,
      payload: syntheticPayload(now - 60 - Math.floor(Math.random() * 3600)),
    }));
    const response = await fetch(`${url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: encodeBinaryUpload(reports),
    });
    expect(response.status).toBe(200);
    acknowledged += ((await response.json()) as { accepted: number }).accepted;
  };
  for (let k = 0; k < BATCHES; k += 4) await Promise.all([0, 1, 2, 3].map(() => upload(BATCH)));
  await upload(1);
  return acknowledged;
}

let acknowledged = 0;
beforeAll(async () => {
  const { child, url, exited } = await spawnServer(crashed, ENV);
  acknowledged = await uploadAll(url);
  child.kill('SIGKILL');
  await exited;
  expect(existsSync(`${crashed}-wal`)).toBe(true);
}, 120_000);

/** A copy of the crashed files under `name`, damaged by `damage` (given the copy's database path). */
function damagedCopy(name: string, damage: (path: string) => void): string {
  const path = join(folder, `${name}.db`);
  for (const suffix of FILES) if (existsSync(crashed + suffix)) copyFileSync(crashed + suffix, path + suffix);
  damage(path);
  return path;
}

/** Overwrites `bytes.length` bytes of `file` at `offset`. */
function overwrite(file: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  const byte = new Uint8Array(1);
  readSync(fd, byte, 0, 1, offset);
  writeSync(fd, Uint8Array.of(byte[0]! ^ 0xff), 0, 1, offset);
  closeSync(fd);
}

/** Runs `npm start`'s entry point until it exits or listens; its exit code (null: it listened) and what it wrote. */
function runMain(databasePath: string, args: string[] = []) {
  return freePort().then(
    (port) =>
      new Promise<{ code: number | null; stderr: string; child: ReturnType<typeof spawn>; url: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
          env: { ...process.env, ...ENV, PORT: String(port), DATABASE_PATH: databasePath },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        const url = `http://127.0.0.1:${port}`;
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('listening on')) resolve({ code: null, stderr, child, url });
        });
        child.once('exit', (code) => resolve({ code, stderr, child, url }));
      }),
  );
}

/** How many reports an owner of every id gets. */
async function ownerGets(url: string): Promise<{ status: number; count?: number }> {
  const response = await fetch(`${url}/v1/reports/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ids: ids.map(bytesToBase64), limit: 10_000 }),
  });
  if (response.status !== 200) return { status: response.status };
  return { status: 200, count: ((await response.json()) as { reports: unknown[] }).reports.length };
}

type Outcome = { refused: string } | { health: number; detail?: string; owner: { status: number; count?: number } };

/** Starts `npm start` on a damaged copy and says how it went: refused (with its one line), or what health and an owner got. */
async function outcomeOf(path: string, args: string[] = []): Promise<Outcome> {
  const started = await runMain(path, args);
  if (started.code !== null) {
    expect(started.code).toBe(1);
    const lines = started.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    return { refused: lines[0]! };
  }
  try {
    const health = await fetch(`${started.url}/v1/health`);
    const body = (await health.json()) as { detail?: string };
    return { health: health.status, detail: body.detail, owner: await ownerGets(started.url) };
  } finally {
    started.child.kill('SIGTERM');
    await new Promise((resolve) => started.child.once('exit', resolve));
  }
}

/** No case may end in health 200 with fewer reports than were acknowledged. */
function expectNoSilentLoss(outcome: Outcome): void {
  if ('refused' in outcome) return;
  if (outcome.health === 200) expect(outcome.owner).toEqual({ status: 200, count: acknowledged });
  else expect(outcome.health).toBe(503);
}

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

// Each case starts `npm start` once or twice: seconds each on a busy machine.
describe('a crashed store damaged after SIGKILL', { timeout: 120_000 }, () => {
  /** How the cases that may go more than one way went, for the log. */
  const seen: string[] = [];
  afterAll(() => console.log(seen.join('\n')));

  it('acknowledged every report before the kill', () => {
    expect(acknowledged).toBe(BATCHES * BATCH + 1);
  });

  it('undamaged: serves every acknowledged report with health 200', async () => {
    const outcome = await outcomeOf(damagedCopy('intact', () => {}));
    expect(outcome).toMatchObject({ health: 200, owner: { status: 200, count: acknowledged } });
  });

  it.each([
    ['one byte flipped in the WAL', (path: string) => flipByte(`${path}-wal`, WAL_HEADER + FRAME_HEADER + 100)],
    ['the WAL deleted', (path: string) => rmSync(`${path}-wal`)],
    ['the database replaced by an empty file', (path: string) => truncateSync(path, 0)],
  ])('%s: refused at start, in one line that says what is missing', async (name, damage) => {
    const outcome = await outcomeOf(damagedCopy(name.replaceAll(' ', '-'), damage));
    expect(outcome).toMatchObject({
      refused: expect.stringMatching(
        /^Crowdfind could not start: .* (holds \d+ of the \d+ writes it acknowledged|is not the database that acknowledged the \d+ writes) .*--accept-loss/,
      ),
    });
  });

  it.each([
    ['the database truncated to half', (path: string) => truncateSync(path, Math.floor(statSync(path).size / 2))],
    [
      'the WAL truncated to half',
      (path: string) => truncateSync(`${path}-wal`, Math.floor(statSync(`${path}-wal`).size / 2)),
    ],
    [
      'a page of the WAL scribbled',
      (path: string) => overwrite(`${path}-wal`, WAL_HEADER, new Uint8Array(4096).fill(0xa5)),
    ],
    ['the database header scribbled', (path: string) => overwrite(path, 0, new Uint8Array(100).fill(0xa5))],
    ['the record beside the database deleted', (path: string) => rmSync(`${path}.ack`)],
    [
      'the record beside the database scribbled',
      (path: string) => overwrite(`${path}.ack`, 0, new Uint8Array(128).fill(0xa5)),
    ],
  ])('%s: refused in one line, or health 503 with the reason, or every report served', async (name, damage) => {
    const outcome = await outcomeOf(damagedCopy(name.replaceAll(' ', '-'), damage));
    expectNoSilentLoss(outcome);
    seen.push(`${name}: ${JSON.stringify(outcome)}`);
  });

  it('with --accept-loss: serves what is left with health 503 naming the loss, and the next start is clean', async () => {
    const path = damagedCopy('accepted', (copy) => rmSync(`${copy}-wal`));
    const accepted = await outcomeOf(path, ['--accept-loss']);
    expect(accepted).toMatchObject({ health: 503, detail: expect.stringMatching(/lost .*--accept-loss/) });
    expect(await outcomeOf(path)).toMatchObject({ health: 200, owner: { status: 200 } });
  });
});

describe('retention pruning', () => {
  it('is not taken for loss: a database whose acknowledged reports expired and were pruned starts clean', async () => {
    const databasePath = join(folder, 'pruned.db');
    const options = (clock: () => number) => ({
      port: 0,
      host: '127.0.0.1',
      databasePath,
      config: { ...DEFAULT_CONFIG, uploadsPerMinute: 0, reportsPerMinute: 0 },
      clock,
      log: () => {},
    });
    const first = await startNodeServer(options(Date.now));
    const observed = Math.floor(Date.now() / 1000) - 60;
    const upload = await fetch(`${first.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: encodeBinaryUpload(ids.map((hashedId) => ({ hashedId, payload: syntheticPayload(observed) }))),
    });
    expect(await upload.json()).toEqual({ accepted: ids.length, duplicates: 0 });
    await first.close();
    const later = await startNodeServer(options(() => Date.now() + (DEFAULT_CONFIG.retentionDays + 2) * 86_400_000));
    // Its start prunes in the background too: what counts is that none is left.
    await later.prune();
    await later.close();
    const db = new Database(databasePath, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM reports').pluck().get()).toBe(0);
    db.close();
    const next = await startNodeServer(options(Date.now));
    try {
      expect((await fetch(`${next.url}/v1/health`)).status).toBe(200);
      expect(await ownerGets(next.url)).toEqual({ status: 200, count: 0 });
    } finally {
      await next.close();
    }
  });
});
