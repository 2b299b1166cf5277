/**
 * `npm run bench:web`: a week of a rolling accessory's reports (about 1,400, from 684 candidate
 * keys) loaded and decrypted by the owner's page in Chromium, with one worker and with one per
 * core, next to the same work in Node through the SDK, in one run against one server. Times
 * are medians of 5 runs each; "open" is decrypting alone, "total" includes deriving the keys and
 * fetching the reports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runCli } from '../src/cli/main.ts';
import { DEFAULT_CONFIG } from '../src/rules/config.ts';
import { startNodeServer } from '../src/runtime/node/server.ts';
import { readKeyFile } from '../src/sdk/key-files.ts';
import { candidateKeysOf, fetchReportsById, openLocated } from '../src/sdk/owner.ts';
import { sdkP224 } from '../src/sdk/p224.ts';
import { readFileSync } from 'node:fs';
import { printTable } from './measure.ts';

const RUNS = 5;
const WEEK_MS = 7 * 86_400_000;
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-bench-web-'));
const keys = join(folder, 'tag.json');
const cli = (...argv: string[]) => runCli(argv, { stdout: () => {}, stderr: (t) => process.stderr.write(t) });
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const server = await startNodeServer({
  port: 0,
  host: '127.0.0.1',
  databasePath: join(folder, 'reports.db'),
  config: { ...DEFAULT_CONFIG, webTileUrl: '', queriesPerMinute: 0 },
  log: () => {},
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
});
try {
  await runCli(['keys', 'new', '--rolling', '--paired', '8d', '--name', 'tag', '--out', keys], {
    stdout: () => {},
    stderr: () => {},
  });
  await cli('simulate', '--keys', keys, '--server', server.url, '--hours', '168', '--finders', '3');

  // Node: the SDK's phases on this thread with the fast engine.
  const engine = await sdkP224();
  const devices = readKeyFile(new Uint8Array(readFileSync(keys)), 'tag');
  const node = { total: [] as number[], open: [] as number[], reports: 0, keys: 0 };
  for (let run = 0; run < RUNS; run++) {
    const until = new Date();
    const since = new Date(until.getTime() - WEEK_MS);
    const started = performance.now();
    const candidates = candidateKeysOf(devices, since, until, engine);
    const payloads = await fetchReportsById([...candidates.keys()], { server: server.url, since, until });
    const opening = performance.now();
    let opened = 0;
    for (const [id, list] of payloads) opened += openLocated(list, candidates.get(id)!.key, 'tag', engine).length;
    node.open.push(performance.now() - opening);
    node.total.push(performance.now() - started);
    [node.reports, node.keys] = [opened, candidates.size];
  }

  // The page, with 1 worker and with one per core.
  const page = async (workers: number) => {
    const result = { total: [] as number[], open: [] as number[], reports: 0 };
    const context = await browser.newContext();
    const tab = await context.newPage();
    for (let run = 0; run < RUNS; run++) {
      await tab.goto(`${server.url}/?workers=${workers}`);
      await tab.locator('body[data-state="ready"]').waitFor();
      await tab.setInputFiles('#key-files', keys);
      await tab.selectOption('#window', '168');
      await tab.click('#locate');
      await tab.locator('body[data-state="located"]').waitFor({ timeout: 120_000 });
      const status = tab.locator('#status');
      result.open.push(Number(await status.getAttribute('data-open-ms')));
      result.total.push(Number(await status.getAttribute('data-total-ms')));
      result.reports = Number(await status.getAttribute('data-reports'));
    }
    await context.close();
    return result;
  };
  const cores = os.cpus().length;
  const one = await page(1);
  const all = await page(cores);
  if (one.reports !== node.reports || all.reports !== node.reports)
    throw new Error('the page and Node opened different reports');

  console.log(
    `bench:web — ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${cores} cores, Node ${process.version}, Chromium via playwright-core; ${node.reports} reports of ${node.keys} candidate keys (a week of one rolling accessory), medians of ${RUNS}`,
  );
  const row = (label: string, r: { total: number[]; open: number[] }) =>
    [
      label,
      `${median(r.total).toFixed(0)} / ${median(r.open).toFixed(0)}`,
      `ms total / open = ${((node.reports / median(r.open)) * 1000).toFixed(0)} reports opened/s`,
    ] as [string, string, string];
  printTable('Load and decrypt a week', [
    row('Node, SDK on one thread', node),
    row('page, 1 worker', one),
    row(`page, ${cores} workers`, all),
  ]);
} finally {
  await browser.close();
  await server.close();
  rmSync(folder, { recursive: true, force: true });
}
