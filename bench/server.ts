/**
 * `npm run bench:server [-- --rows 10000000]`: the server on a temporary database filled with
 * --rows reports (default 1M) over the last 7 days, measured over loopback HTTP from this
 * process while the server runs in its own (the `npm start` path):
 *   - the raw better-sqlite3 rate of the same kind of rows into the same schema and file;
 *   - owner query latency for 672 ids over a 7-day window, one at a time and at concurrency 8,
 *     after warm-up queries that fill the page caches and statement caches a running server has,
 *     from sending the request until the whole answer has arrived;
 *   - then ingest of 1,000-report batches, binary and JSON, at concurrency 8.
 * This process is the client, and keeps its own garbage collection out of what it measures:
 * ids live in one buffer, answers are counted, not parsed (http-client.ts).
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bucketOf } from '../schema/schema.ts';
import { INSERT_REPORT_SQL } from '../src/storage/report-sql.ts';
import { encodeBinaryUpload } from '../src/contract/binary-upload.ts';
import { openDatabase } from '../src/storage/sqlite/database.ts';
import { httpClient } from './http-client.ts';
import { printTable } from './measure.ts';
import { spawnServer } from './spawn-server.ts';
import { syntheticPayload } from './synthetic-reports.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, batches: { type: 'string', default: '100' } },
});
const FILL_ROWS = Number(values.rows);
const HTTP_BATCHES = Number(values.batches);
const BATCH = 1000;
const CONCURRENCY = 8;
const QUERY_IDS = 672;
const QUERIES = 500;
/** Queries run before measuring, not counted: a server that has just started reads every page from the OS. */
const WARM_UP_QUERIES = 50;
const WEEK = 7 * 86_400;

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-bench-'));
const databasePath = join(folder, 'reports.db');
const now = Math.floor(Date.now() / 1000);
// About two reports per id per week, as for the keys of a rolling accessory (~1,340 per 672 ids).
// One buffer, not half a million arrays: marking those paused a client built this way for up
// to 21 ms, inside the latencies it measured.
const POPULATION = Math.max(1000, Math.floor(FILL_ROWS / 2));
const population = randomFillSync(new Uint8Array(POPULATION * 32));
const pick = () => {
  const at = Math.floor(Math.random() * POPULATION) * 32;
  return population.subarray(at, at + 32);
};
const recentRow = () => {
  const timestamp = now - Math.floor(Math.random() * 3600);
  return { hashedId: pick(), payload: syntheticPayload(timestamp), timestamp };
};

// 1. Fill: a week of reports in arrival (time) order, 10,000 per transaction.
const db = openDatabase(databasePath);
const insert = db.prepare(INSERT_REPORT_SQL);
const insertMany = db.transaction((rows: Array<{ hashedId: Uint8Array; payload: Uint8Array; timestamp: number }>) => {
  for (const r of rows) insert.run(bucketOf(r.timestamp), r.hashedId, r.timestamp, r.payload, r.timestamp);
});
const fillStart = performance.now();
for (let done = 0; done < FILL_ROWS;) {
  const rows = [];
  for (let k = 0; k < 10_000 && done < FILL_ROWS; k++, done++) {
    const timestamp = now - WEEK + Math.floor((done / FILL_ROWS) * (WEEK - 3600));
    rows.push({ hashedId: pick(), payload: syntheticPayload(timestamp), timestamp });
  }
  insertMany(rows);
}
const fillRate = FILL_ROWS / ((performance.now() - fillStart) / 1000);
db.pragma('wal_checkpoint(TRUNCATE)');
const bytesPerReport = statSync(databasePath).size / FILL_ROWS;

// 2. Raw reference: the same rows as the HTTP batches, 1,000 per transaction, same file.
const rawRate = (() => {
  const rawBatches = Array.from({ length: Math.min(HTTP_BATCHES, 50) }, () => Array.from({ length: BATCH }, recentRow));
  const start = performance.now();
  for (const rows of rawBatches) insertMany(rows);
  return (rawBatches.length * BATCH) / ((performance.now() - start) / 1000);
})();
db.close();

// 3. The server in its own process, measured once it has read the stored ids into its filters.
const {
  child: server,
  url: serverUrl,
  exited,
} = await spawnServer(
  databasePath,
  { MAX_BATCH: String(BATCH), RATE_LIMIT_UPLOADS: '0', RATE_LIMIT_QUERIES: '0', RATE_LIMIT_REPORTS: '0' },
  'ids of stored reports indexed',
);
const post = httpClient(serverUrl);

/** Runs `work` `count` times, `concurrency` at a time; `settle` handles each result after its latency is taken. */
async function runConcurrently<T>(
  count: number,
  work: (i: number) => Promise<T>,
  concurrency = CONCURRENCY,
  settle?: (result: T) => void,
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const result = await work(i);
        latencies.push(performance.now() - t0);
        settle?.(result);
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, latencies };
}

async function ingest(kind: 'binary' | 'json'): Promise<number> {
  const bodies = Array.from({ length: HTTP_BATCHES }, () => {
    const rows = Array.from({ length: BATCH }, recentRow);
    if (kind === 'json') {
      const reports = rows.map((r) => ({
        id: Buffer.from(r.hashedId).toString('base64'),
        payload: Buffer.from(r.payload).toString('base64'),
      }));
      return { type: 'application/json', body: JSON.stringify({ reports }) as string | Uint8Array };
    }
    return { type: 'application/octet-stream', body: encodeBinaryUpload(rows) };
  });
  const { seconds } = await runConcurrently(bodies.length, async (i) => {
    const { status, result } = await post('/v1/reports', bodies[i]!.type, bodies[i]!.body, (body) =>
      Buffer.from(body).toString(),
    );
    if (status !== 200 || (JSON.parse(result) as { accepted: number }).accepted !== BATCH)
      throw new Error(`upload failed: ${status} ${result}`);
  });
  return (bodies.length * BATCH) / seconds;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

try {
  // Queries first, while the database holds exactly the filled reports; the uploads then add more.
  let returned = 0;
  const queries = Array.from({ length: WARM_UP_QUERIES + QUERIES }, () =>
    JSON.stringify({
      ids: Array.from({ length: QUERY_IDS }, () => Buffer.from(pick()).toString('base64')),
      since: (now - WEEK) * 1000,
      until: now * 1000,
      limit: 10_000,
    }),
  );
  // Each report of an answer opens with its id: counting them leaves no garbage. One answer is
  // also parsed, to check the count.
  const REPORT_START = Buffer.from('{"id":"');
  const reportsIn = (body: Uint8Array) => {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.length);
    let found = 0;
    for (let at = bytes.indexOf(REPORT_START); at >= 0; at = bytes.indexOf(REPORT_START, at + 1)) found++;
    return found;
  };
  const runQuery = async (i: number, read: (body: Uint8Array) => number = reportsIn) => {
    const { status, result } = await post('/v1/reports/query', 'application/json', queries[i]!, (body, status) =>
      status === 200 ? read(body) : Buffer.from(body).toString(),
    );
    if (typeof result !== 'number') throw new Error(`query failed: ${status} ${result}`);
    return result;
  };
  const count = (reports: number) => void (returned += reports);
  await runConcurrently(WARM_UP_QUERIES, (i) => runQuery(QUERIES + i), 1);
  // Latency an owner sees: one query at a time. Then the server's query throughput under load.
  const alone = await runConcurrently(QUERIES, runQuery, 1, count);
  const loaded = await runConcurrently(QUERIES, runQuery, CONCURRENCY, count);
  const miscounted = await runQuery(
    0,
    (body) => (JSON.parse(Buffer.from(body).toString()) as { reports: unknown[] }).reports.length - reportsIn(body),
  );
  if (miscounted !== 0) throw new Error('answers are counted wrong');
  const binaryRate = await ingest('binary');
  const jsonRate = await ingest('json');
  alone.latencies.sort((a, b) => a - b);
  loaded.latencies.sort((a, b) => a - b);

  console.log(
    `bench:server — ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; ${FILL_ROWS.toLocaleString('en')} reports stored before measuring`,
  );
  printTable('Storage', [
    ['fill rate (10,000 rows per transaction, time order)', fillRate.toFixed(0), 'reports/s'],
    ['database bytes per stored report', bytesPerReport.toFixed(0), 'B'],
    ['raw better-sqlite3, same rows, 1,000 per transaction', rawRate.toFixed(0), 'reports/s'],
  ]);
  printTable(`HTTP ingest, batches of ${BATCH}, concurrency ${CONCURRENCY}`, [
    ['binary', binaryRate.toFixed(0), `reports/s = ${(binaryRate / rawRate).toFixed(2)}× raw   target ≥ 0.6×`],
    ['JSON', jsonRate.toFixed(0), `reports/s = ${(jsonRate / rawRate).toFixed(2)}× raw   target ≥ 0.4×`],
  ]);
  printTable(
    `Owner query, ${QUERY_IDS} ids over 7 days (${(returned / (2 * QUERIES)).toFixed(0)} reports per answer), ${QUERIES} queries after ${WARM_UP_QUERIES} to warm up`,
    [
      ['one at a time: p50', percentile(alone.latencies, 50).toFixed(1), 'ms'],
      ['one at a time: p99', percentile(alone.latencies, 99).toFixed(1), 'ms   target ≤ 25 ms at 1M reports'],
      [`concurrency ${CONCURRENCY}: throughput`, (QUERIES / loaded.seconds).toFixed(0), 'queries/s'],
      [
        `concurrency ${CONCURRENCY}: p50 / p99`,
        `${percentile(loaded.latencies, 50).toFixed(0)} / ${percentile(loaded.latencies, 99).toFixed(0)}`,
        'ms   (queued behind one another)',
      ],
    ],
  );
} finally {
  server.kill('SIGTERM');
  await exited;
  rmSync(folder, { recursive: true, force: true });
}
