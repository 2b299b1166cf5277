// Starting the server the way a self-hoster does (`npm start`): conditions that would make it
// run wrongly, or die with a stack, are refused with one line that names the cause.
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnServer } from '../../bench/spawn-server.ts';
import { syntheticPayload } from '../../bench/synthetic-reports.ts';
import { bucketOf } from '../../schema/schema.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { INSERT_REPORT_SQL } from '../../src/storage/report-sql.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';
import { counted } from '../counted.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-startup-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const MAIN = fileURLToPath(new URL('../../src/runtime/node/main.ts', import.meta.url));

/** Runs `npm start`'s entry point until it exits; its exit code and what it wrote. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const options = (databasePath: string) => ({
  port: 0,
  host: '127.0.0.1',
  databasePath,
  config: DEFAULT_CONFIG,
  log: () => {},
});

describe('starting the server', () => {
  it('refuses a second server on the same database file, and frees the file when the first stops', async () => {
    const databasePath = join(folder, 'shared.db');
    const first = await startNodeServer(options(databasePath));
    await expect(startNodeServer(options(databasePath))).rejects.toThrow(
      `another Crowdfind server is using ${databasePath}`,
    );
    // The same file by another spelling of its path is the same file.
    await expect(startNodeServer(options(join(folder, '.', 'shared.db')))).rejects.toThrow(/another Crowdfind server/);
    await first.close();
    const next = await startNodeServer(options(databasePath));
    await next.close();
  });

  it('npm start on a file another server holds: one line, exit 1', async () => {
    const databasePath = join(folder, 'held.db');
    const running = await spawnServer(databasePath);
    try {
      const { code, stderr } = await runMain({ PORT: String(await freePort()), DATABASE_PATH: databasePath });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `Crowdfind could not start: another Crowdfind server is using ${databasePath}; run one server per database file`,
      ]);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  });

  it('npm start on a port in use: one line, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stderr } = await runMain({ PORT: String(port), DATABASE_PATH: join(folder, 'port.db') });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([
        `Crowdfind could not start: port ${port} on 127.0.0.1 is already in use`,
      ]);
    } finally {
      blocker.close();
    }
  });

  it('npm start with a malformed setting names the variable in one line', async () => {
    const { code, stderr } = await runMain({
      PORT: String(await freePort()),
      DATABASE_PATH: join(folder, 'env.db'),
      MAX_BATCH: 'lots',
    });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'Crowdfind could not start: MAX_BATCH must be an integer of at least 1, got "lots"',
    ]);
  });
});

/** A read-only file system to start on; undefined where this machine cannot mount one (not root). */
function readOnlyMount(): string | undefined {
  const point = mkdtempSync(join(tmpdir(), 'crowdfind-ro-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', point], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const db = openDatabase(join(point, 'sealed.db'));
  db.close();
  execFileSync('mount', ['-o', 'remount,ro', point], { stdio: 'ignore' });
  return point;
}

describe('permanent conditions are refused at start, naming the path and the cause', () => {
  const point = readOnlyMount();
  afterAll(() => point && execFileSync('umount', [point]));

  it.skipIf(point === undefined)('a database file on a read-only file system', async () => {
    const databasePath = join(point!, 'sealed.db');
    await expect(startNodeServer(options(databasePath))).rejects.toThrow(
      new RegExp(`cannot open the database ${databasePath}: .* is not writable \\(EROFS: read-only file system`),
    );
  });

  it.skipIf(point === undefined)('a folder it cannot create the database in', async () => {
    const databasePath = join(point!, 'new', 'reports.db');
    await expect(startNodeServer(options(databasePath))).rejects.toThrow(
      new RegExp(
        `cannot open the database ${databasePath}: .*mkdir.* ${point} is not writable \\(EROFS: read-only file system`,
      ),
    );
  });

  it('says plainly when this machine cannot mount a read-only file system to test on', () => {
    if (point === undefined) console.log('skipped: read-only databases need root to mount a test file system');
    expect(true).toBe(true);
  });
});

describe('a path that holds no database of this server is refused, naming what it holds', () => {
  it('npm start on a folder: one line that says it is a folder, exit 1', async () => {
    const databasePath = join(folder, 'a-folder');
    mkdirSync(databasePath);
    const { code, stderr } = await runMain({ PORT: String(await freePort()), DATABASE_PATH: databasePath });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `Crowdfind could not start: cannot open the database ${databasePath}: ${databasePath} is a folder, not a database file`,
    ]);
  });

  it('a file of another kind', async () => {
    const databasePath = join(folder, 'notes.txt');
    writeFileSync(databasePath, 'These are my notes, not a database.\n'.repeat(200));
    await expect(startNodeServer(options(databasePath))).rejects.toThrow(
      `cannot open the database ${databasePath}: the file is not an SQLite database: of another kind, or its header is damaged (SQLITE_NOTADB`,
    );
  });

  it('a device rather than a file', async () => {
    await expect(startNodeServer(options('/dev/null'))).rejects.toThrow(
      'cannot open the database /dev/null: /dev/null is not a regular file (a device, FIFO or socket), not a database file',
    );
  });
  // A database a newer version migrated: upgrade.test.ts.
});

describe('pruning a backlog at start', () => {
  it('lets the server answer while it deletes, and deletes every expired report', async () => {
    const databasePath = join(folder, 'backlog.db');
    const db = openDatabase(databasePath);
    const insert = db.prepare(INSERT_REPORT_SQL);
    const expired = Math.floor(Date.now() / 1000) - 9 * 86_400;
    const EXPIRED = 300_000;
    // Each row has an id of its own (the key is bucket, id, seal), so one payload serves them
    // all: making 300,000 took a minute on a busy machine.
    const payload = syntheticPayload(expired);
    db.transaction(() => {
      for (let k = 0; k < EXPIRED; k++) {
        insert.run(bucketOf(expired - (k % 2) * 86_400), randomFillSync(new Uint8Array(32)), expired, payload, expired);
      }
    })();
    db.close();
    const lines: string[] = [];
    const pruned = counted(() => lines.filter((line) => line.startsWith('pruned')).length);
    const server = await startNodeServer({
      ...options(databasePath),
      log: (line) => (lines.push(line), pruned.changed()),
    });
    try {
      const health = await fetch(`${server.url}/v1/health`);
      expect(health.status).toBe(200);
      // Health answered while the backlog was still being pruned.
      expect(lines.some((line) => line.startsWith('pruned'))).toBe(false);
      await pruned.reach(1);
      expect(lines).toContain(`pruned ${EXPIRED} expired reports`);
    } finally {
      await server.close();
    }
  }, 60_000);
});
