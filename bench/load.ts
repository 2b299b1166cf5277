/**
 * `npm run test:load [-- --seconds 60 --finders 16 --owners 4 --hostile-owners 8]`: a bounded
 * load on loopback, then ingest alone against ingest under hostile owners in one run.
 * The server runs in its own process (the npm start path); finders upload binary and JSON
 * batches while owners query, for a fixed time. Passes only with zero errors, zero 5xx, and
 * every acknowledged report stored (counted in the file after a clean stop). Prints latency
 * percentiles. `runLoad` is also the short version inside `npm test`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { encodeBinaryUpload } from '../src/contract/binary-upload.ts';
import { spawnServer } from './spawn-server.ts';
import { hashedIdPopulation, syntheticPayload } from './synthetic-reports.ts';

export interface LoadOptions {
  readonly seconds: number;
  readonly finders: number;
  readonly owners: number;
  readonly batch: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: string[];
  readonly acknowledged: number;
  readonly stored: number;
  readonly uploadsPerSecond: number;
  readonly latencyMs: { upload: Percentiles; query: Percentiles };
}

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const percentiles = (values: number[]): Percentiles => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
};

/** @example const result = await runLoad({ seconds: 3, finders: 4, owners: 2, batch: 100 }); */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const folder = mkdtempSync(join(tmpdir(), 'crowdfind-load-'));
  const databasePath = join(folder, 'reports.db');
  const {
    child: server,
    url,
    exited,
  } = await spawnServer(databasePath, {
    RATE_LIMIT_UPLOADS: '0',
    RATE_LIMIT_QUERIES: '0',
    RATE_LIMIT_REPORTS: '0',
  });

  const ids = hashedIdPopulation(50_000);
  const errors: string[] = [];
  const uploadLatency: number[] = [];
  const queryLatency: number[] = [];
  let acknowledged = 0;
  let requests = 0;
  const deadline = Date.now() + options.seconds * 1000;

  const timed = async (latencies: number[], send: () => Promise<Response>, check: (body: unknown) => void) => {
    const start = performance.now();
    requests++;
    try {
      const response = await send();
      const body = await response.json();
      latencies.push(performance.now() - start);
      if (response.status !== 200) errors.push(`${response.status}: ${JSON.stringify(body)}`);
      else check(body);
    } catch (error) {
      errors.push(String(error));
    }
  };

  const finder = async (k: number) => {
    for (let round = 0; Date.now() < deadline; round++) {
      const now = Math.floor(Date.now() / 1000);
      const rows = Array.from({ length: options.batch }, () => ({
        id: ids[Math.floor(Math.random() * ids.length)]!,
        payload: syntheticPayload(now - Math.floor(Math.random() * 3600)),
      }));
      const json = (k + round) % 2 === 1;
      const body = json
        ? JSON.stringify({
            reports: rows.map((r) => ({
              id: Buffer.from(r.id).toString('base64'),
              payload: Buffer.from(r.payload).toString('base64'),
            })),
          })
        : encodeBinaryUpload(rows.map((r) => ({ hashedId: r.id, payload: r.payload })));
      await timed(
        uploadLatency,
        () =>
          fetch(`${url}/v1/reports`, {
            method: 'POST',
            headers: { 'content-type': json ? 'application/json' : 'application/octet-stream' },
            body,
          }),
        (result) => {
          const { accepted, duplicates } = result as { accepted: number; duplicates: number };
          if (accepted + duplicates !== rows.length)
            errors.push(`upload counted ${accepted}+${duplicates} of ${rows.length}`);
          acknowledged += accepted;
        },
      );
    }
  };
  const owner = async () => {
    while (Date.now() < deadline) {
      const query = {
        ids: Array.from({ length: 672 }, () =>
          Buffer.from(ids[Math.floor(Math.random() * ids.length)]!).toString('base64'),
        ),
        limit: 10_000,
      };
      await timed(
        queryLatency,
        () =>
          fetch(`${url}/v1/reports/query`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(query),
          }),
        () => {},
      );
    }
  };
  const started = Date.now();
  await Promise.all([
    ...Array.from({ length: options.finders }, (_, k) => finder(k)),
    ...Array.from({ length: options.owners }, owner),
  ]);
  const elapsed = (Date.now() - started) / 1000;

  server.kill('SIGTERM');
  if ((await exited) !== 0) errors.push('the server did not exit cleanly');
  const db = new Database(databasePath, { readonly: true });
  const stored = (db.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
  db.close();
  rmSync(folder, { recursive: true, force: true });
  return {
    requests,
    errors,
    acknowledged,
    stored,
    uploadsPerSecond: acknowledged / elapsed,
    latencyMs: { upload: percentiles(uploadLatency), query: percentiles(queryLatency) },
  };
}

/** Ingest alone against ingest under hostile owners, measured in one run on one server. */
export interface HostileOwnersResult {
  readonly alone: { readonly reportsPerSecond: number; readonly upload: Percentiles; readonly health: Percentiles };
  readonly hostile: {
    readonly reportsPerSecond: number;
    readonly upload: Percentiles;
    readonly health: Percentiles;
    readonly queries: number;
    readonly refused: number;
  };
  readonly errors: string[];
}

/**
 * Finders upload for `seconds` alone, then as long again while `owners` hostile owners send the
 * largest queries a request may (2,048 ids, 10,000 reports a page) back to back, with rate limits
 * off; health is asked every 100 ms throughout.
 * @example const { alone, hostile } = await measureHostileOwners({ seconds: 20, finders: 8, owners: 8, batch: 500 });
 */
export async function measureHostileOwners(
  options: LoadOptions,
  env: Record<string, string> = {},
): Promise<HostileOwnersResult> {
  const folder = mkdtempSync(join(tmpdir(), 'crowdfind-hostile-'));
  const {
    child: server,
    url,
    exited,
  } = await spawnServer(join(folder, 'reports.db'), {
    RATE_LIMIT_UPLOADS: '0',
    RATE_LIMIT_QUERIES: '0',
    RATE_LIMIT_REPORTS: '0',
    ...env,
  });
  const ids = hashedIdPopulation(50_000);
  const errors: string[] = [];
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

  async function phase(owners: number) {
    const deadline = Date.now() + options.seconds * 1000;
    const upload: number[] = [];
    const health: number[] = [];
    let acknowledged = 0;
    let queries = 0;
    let refused = 0;
    const finder = async () => {
      while (Date.now() < deadline) {
        const now = Math.floor(Date.now() / 1000);
        const rows = Array.from({ length: options.batch }, () => ({
          hashedId: ids[Math.floor(Math.random() * ids.length)]!,
          payload: syntheticPayload(now - Math.floor(Math.random() * 3600)),
        }));
        const start = performance.now();
        const response = await fetch(`${url}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: encodeBinaryUpload(rows),
        });
        const body = (await response.json()) as { accepted: number };
        upload.push(performance.now() - start);
        if (response.status === 200) acknowledged += body.accepted;
        else errors.push(`upload ${response.status}: ${JSON.stringify(body)}`);
      }
    };
    const owner = async () => {
      while (Date.now() < deadline) {
        const body = JSON.stringify({
          ids: Array.from({ length: 2048 }, () => base64(ids[Math.floor(Math.random() * ids.length)]!)),
          limit: 10_000,
        });
        const response = await fetch(`${url}/v1/reports/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        queries++;
        if (response.status === 503) refused++;
        else if (response.status !== 200) errors.push(`query ${response.status}`);
      }
    };
    const monitor = async () => {
      while (Date.now() < deadline) {
        const start = performance.now();
        const response = await fetch(`${url}/v1/health`);
        await response.arrayBuffer();
        health.push(performance.now() - start);
        if (response.status !== 200) errors.push(`health ${response.status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: options.finders }, finder),
      ...Array.from({ length: owners }, owner),
      monitor(),
    ]);
    const elapsed = (Date.now() - started) / 1000;
    return {
      reportsPerSecond: acknowledged / elapsed,
      upload: percentiles(upload),
      health: percentiles(health),
      queries,
      refused,
    };
  }

  const alone = await phase(0);
  const hostile = await phase(options.owners);
  server.kill('SIGTERM');
  if ((await exited) !== 0) errors.push('the server did not exit cleanly');
  rmSync(folder, { recursive: true, force: true });
  return { alone, hostile, errors };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      finders: { type: 'string', default: '16' },
      owners: { type: 'string', default: '4' },
      batch: { type: 'string', default: '500' },
      'hostile-owners': { type: 'string', default: '8' },
    },
  });
  const options = {
    seconds: Number(values.seconds),
    finders: Number(values.finders),
    owners: Number(values.owners),
    batch: Number(values.batch),
  };
  const result = await runLoad(options);
  const fmt = (p: Percentiles) =>
    `p50 ${p.p50.toFixed(1)} ms, p90 ${p.p90.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms`;
  console.log(
    `test:load — ${options.seconds} s, ${options.finders} finders (batches of ${options.batch}, binary and JSON), ${options.owners} owners (672 ids per query)`,
  );
  console.log(`  requests ${result.requests}, errors ${result.errors.length}`);
  console.log(
    `  acknowledged ${result.acknowledged} = stored ${result.stored}: ${result.acknowledged === result.stored ? 'yes' : 'NO'}`,
  );
  console.log(`  ingest ${result.uploadsPerSecond.toFixed(0)} reports/s`);
  console.log(`  upload latency: ${fmt(result.latencyMs.upload)}`);
  console.log(`  query latency:  ${fmt(result.latencyMs.query)}`);
  for (const error of result.errors.slice(0, 5)) console.log(`  error: ${error}`);

  const hostileSeconds = Math.max(5, Math.round(options.seconds / 3));
  const hostile = await measureHostileOwners({
    ...options,
    seconds: hostileSeconds,
    owners: Number(values['hostile-owners']),
  });
  console.log(
    `\nhostile owners — ${hostileSeconds} s of ${options.finders} finders alone, then ${hostileSeconds} s with ${values['hostile-owners']} owners sending maximal queries (2,048 ids, limit 10,000), rate limits off`,
  );
  console.log(
    `  ingest alone ${hostile.alone.reportsPerSecond.toFixed(0)} reports/s, under hostile owners ${hostile.hostile.reportsPerSecond.toFixed(0)} reports/s: ${(hostile.hostile.reportsPerSecond / hostile.alone.reportsPerSecond).toFixed(2)}×`,
  );
  console.log(`  upload latency alone:   ${fmt(hostile.alone.upload)}`);
  console.log(`  upload latency hostile: ${fmt(hostile.hostile.upload)}`);
  console.log(`  health latency alone:   ${fmt(hostile.alone.health)}`);
  console.log(`  health latency hostile: ${fmt(hostile.hostile.health)}`);
  console.log(
    `  hostile queries answered ${hostile.hostile.queries - hostile.hostile.refused}, refused to wait (503) ${hostile.hostile.refused}`,
  );
  for (const error of hostile.errors.slice(0, 5)) console.log(`  error: ${error}`);
  process.exitCode =
    result.errors.length === 0 && result.acknowledged === result.stored && hostile.errors.length === 0 ? 0 : 1;
}
