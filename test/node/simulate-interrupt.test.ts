// Ctrl-C on a real `crowdfind simulate` process mid-upload: it finishes the batch in flight, says
// how far it got, writes the truth of what it uploaded, and exits 130.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-simulate-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
// The sources through tsx, as bin/crowdfind.js runs them where the CLI is not built: the code under test, never a stale build.
const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));

describe('simulate interrupted', () => {
  it('on SIGINT stops after the batch in flight, says what it stored, writes that truth and exits 130', async () => {
    const databasePath = join(folder, 'reports.db');
    const keys = join(folder, 'tag.json');
    const truthPath = join(folder, 'truth.json');
    expect(await runCli(['keys', 'new', '--name', 'tag', '--out', keys], { stdout() {}, stderr() {} })).toBe(0);
    const server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath,
      config: { ...DEFAULT_CONFIG, uploadsPerMinute: 0, reportsPerMinute: 0, maxReportsPerIdPerDay: 0 },
      log: () => {},
    });

    let stderr = '';
    let saidInterrupted: () => void;
    const interruptedLine = new Promise<void>((resolve) => (saidInterrupted = resolve));
    // Between simulate and the server: the second upload waits until simulate has taken the
    // Ctrl-C, so that the signal lands mid-upload on any machine.
    let uploads = 0;
    const relay = createServer((incoming, answer) => {
      const forward = () =>
        incoming.pipe(
          request(server.url + incoming.url, { method: incoming.method, headers: incoming.headers }, (response) => {
            answer.writeHead(response.statusCode!, response.headers);
            response.pipe(answer);
          }),
        );
      if (incoming.url === '/v1/reports' && ++uploads === 2) {
        child.kill('SIGINT');
        void interruptedLine.then(forward);
      } else forward();
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        BIN,
        'simulate',
        '--keys',
        keys,
        '--server',
        relayUrl,
        '--finders',
        '30',
        '--hours',
        '24',
        '--truth',
        truthPath,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('interrupted; finishing')) saidInterrupted();
    });
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, stderr).toBe(130);
      const summary = JSON.parse(stdout) as {
        reports: number;
        accepted: number;
        uploaded: number;
        interrupted: boolean;
      };
      // Two batches of 1,000 went up: the one before the signal, and the one in flight.
      expect(summary).toMatchObject({ interrupted: true, uploaded: 2000, accepted: 2000 });
      expect(summary.reports).toBeGreaterThan(2000);
      expect(stderr.trim().split('\n').at(-1)).toBe(
        `crowdfind simulate: interrupted after uploading 2000 of ${summary.reports} reports (2000 stored); ${truthPath} holds those 2000`,
      );
      const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as Array<{ hashedId: string; timestamp: string }>;
      expect(truth).toHaveLength(2000);
      // The truth is what was stored: the same reports, by time, as the server holds.
      const db = new Database(databasePath, { readonly: true });
      try {
        const stored = db.prepare('SELECT timestamp FROM reports ORDER BY timestamp').pluck().all() as number[];
        expect(stored).toEqual(truth.map((r) => Date.parse(r.timestamp) / 1000).sort((a, b) => a - b));
      } finally {
        db.close();
      }
    } finally {
      child.kill('SIGKILL');
      relay.close();
      await server.close();
    }
  }, 60_000);

  it('shows each long step as a progress bar on a terminal, and none elsewhere', async () => {
    const keys = join(folder, 'bars.json');
    const quiet = { stdout() {}, stderr() {} };
    expect(await runCli(['keys', 'new', '--rolling', '--paired', '1d', '--out', keys], quiet)).toBe(0);
    const server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'bars.db'),
      config: DEFAULT_CONFIG,
      log: () => {},
    });
    try {
      const run = async (interactive: boolean) => {
        let stderr = '';
        const argv = ['simulate', '--keys', keys, '--server', server.url, '--finders', '3', '--hours', '3'];
        const code = await runCli(argv, { stdout() {}, stderr: (t) => (stderr += t), interactive });
        expect(code, stderr).toBe(0);
        return stderr;
      };
      const drawn = await run(true);
      expect(drawn).toMatch(/\rsealing \[#+\] 3\/3\n/);
      expect(drawn).toMatch(/\ruploading \[#+\] (\d+)\/\1\n/);
      expect(await run(false)).toBe('');
    } finally {
      await server.close();
    }
  });
});
