/**
 * `npm run bench:ingest -- --trees /path/a,/path/b [--batches 400] [--batch 100] [--rounds 3]`:
 * ingest through the real server (`npm start`, its own process) of each source tree given, on a
 * fresh database in the system's temporary folder (a real disk, so fsync costs what it costs),
 * in turns: round after round, each tree once, so that a busy machine slows them alike. For
 * comparing what a change to the write path costs against the tree before it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeBinaryUpload } from '../src/contract/binary-upload.ts';
import { printTable } from './measure.ts';
import { spawnServer } from './spawn-server.ts';
import { freshReports } from './synthetic-reports.ts';

const { values } = parseArgs({
  options: {
    trees: { type: 'string', default: '.' },
    batches: { type: 'string', default: '400' },
    batch: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
  },
});
const trees = values.trees.split(',');
const BATCHES = Number(values.batches);
const CONCURRENCY = Number(values.concurrency);
const bodies = Array.from({ length: BATCHES }, () => encodeBinaryUpload(freshReports(Number(values.batch))));

/** One run: a fresh database, every batch uploaded at CONCURRENCY; reports per second and what the files grew to. */
async function run(tree: string): Promise<{ rate: number; p99: number; wal: number; db: number }> {
  const folder = mkdtempSync(join(tmpdir(), 'crowdfind-ingest-'));
  const databasePath = join(folder, 'reports.db');
  const { child, url, exited } = await spawnServer(
    databasePath,
    { RATE_LIMIT_UPLOADS: '0', RATE_LIMIT_REPORTS: '0' },
    'listening on',
    { entry: join(tree, 'src/runtime/node/main.ts') },
  );
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < BATCHES) {
        const body = bodies[next++]!;
        const sent = performance.now();
        const response = await fetch(`${url}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body,
        });
        if (response.status !== 200) throw new Error(`upload answered ${response.status}`);
        await response.arrayBuffer();
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sizeOf = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  const files = { wal: sizeOf(`${databasePath}-wal`), db: sizeOf(databasePath) };
  child.kill('SIGKILL');
  await exited;
  rmSync(folder, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return {
    rate: (BATCHES * Number(values.batch)) / seconds,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    ...files,
  };
}

const results = trees.map(() => [] as Array<Awaited<ReturnType<typeof run>>>);
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [k, tree] of trees.entries()) {
    const result = await run(tree);
    results[k]!.push(result);
    console.log(`round ${round} ${tree}: ${Math.round(result.rate)} reports/s, p99 ${result.p99.toFixed(0)} ms`);
  }
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
printTable(
  `Ingest, ${BATCHES} binary batches of ${values.batch} at concurrency ${CONCURRENCY}, medians of ${values.rounds} rounds`,
  trees.map((tree, k) => [
    tree,
    `${Math.round(median(results[k]!.map((r) => r.rate)))}/s`,
    `p99 ${median(results[k]!.map((r) => r.p99)).toFixed(0)} ms; at the kill, WAL ${(median(results[k]!.map((r) => r.wal)) / 2 ** 20).toFixed(1)} MiB, database ${(median(results[k]!.map((r) => r.db)) / 2 ** 20).toFixed(1)} MiB`,
  ]),
);
