// GET /metrics on its own port, scraped by a real Prometheus (Debian's), which answers a query
// for a counter the test moved; the text itself carries no id and no address.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/spawn-server.ts';
import { hashedIdPopulation, syntheticPayload } from '../../bench/synthetic-reports.ts';
import { bytesToBase64, bytesToHex } from '../../crypto/index.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { startNodeServer } from '../../src/runtime/node/server.ts';

const PROMETHEUS = ['/usr/bin/prometheus'].find((path) => existsSync(path));
if (!PROMETHEUS)
  console.log('Prometheus test skipped: no prometheus (apt-get install prometheus; .ci/run installs it)');

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-metrics-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/**
 * A pass-through in front of the metrics listener that Prometheus scrapes instead, so that the
 * test can wait for a scrape (an event) rather than for a time: `nextScrape()` resolves once a
 * scrape that began after the call has been answered.
 */
async function scrapeWatch(metricsUrl: string) {
  let waiting: Array<{ after: number; resolve: () => void }> = [];
  let started = 0;
  const relay = createServer(async (request, response) => {
    const scrape = ++started;
    const answer = await fetch(new URL(request.url ?? '/', metricsUrl), {
      headers: { accept: request.headers.accept ?? '*/*' },
    });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    response.end(Buffer.from(await answer.arrayBuffer()));
    for (const w of waiting) if (scrape > w.after) w.resolve();
    waiting = waiting.filter((w) => scrape <= w.after);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    target: `127.0.0.1:${(relay.address() as AddressInfo).port}`,
    nextScrape: () => new Promise<void>((resolve) => waiting.push({ after: started, resolve })),
    close: () => new Promise<void>((resolve) => relay.close(() => resolve())),
  };
}

/** A sample's value in the text format, e.g. sample(text, 'crowdfind_reports_total{outcome="accepted"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('are off unless given a port, and never on the API port', async () => {
    const server = await startNodeServer({
      port: 0,
      host: '127.0.0.1',
      databasePath: join(folder, 'off.db'),
      config: DEFAULT_CONFIG,
      log: () => {},
    });
    try {
      expect(server.metricsUrl).toBeUndefined();
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!PROMETHEUS)(
    'are scraped by Prometheus, which answers for the reports the test uploaded',
    async () => {
      const server = await startNodeServer({
        port: 0,
        host: '127.0.0.1',
        databasePath: join(folder, 'scraped.db'),
        config: { ...DEFAULT_CONFIG, queriesPerMinute: 4 },
        log: () => {},
        metrics: { port: 0, host: '127.0.0.1' },
      });
      const promPort = await freePort();
      const scrapes = await scrapeWatch(server.metricsUrl!);
      const metricsTarget = scrapes.target;
      const config = join(folder, 'prometheus.yml');
      writeFileSync(
        config,
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: crowdfind\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['${metricsTarget}']\n`,
      );
      const prometheus = spawn(
        PROMETHEUS!,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(folder, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: 'ignore' },
      );
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      try {
        const ids = hashedIdPopulation(3);
        const now = Math.floor(Date.now() / 1000);
        const reports = ids.map((hashedId) => ({ hashedId, payload: syntheticPayload(now - 60) }));
        const upload = await fetch(`${server.url}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: encodeBinaryUpload(reports),
        });
        expect(await upload.json()).toEqual({ accepted: 3, duplicates: 0 });
        const again = await fetch(`${server.url}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: encodeBinaryUpload(reports.slice(0, 1)),
        });
        expect(await again.json()).toEqual({ accepted: 0, duplicates: 1 });
        // Queries until the query limit refuses one.
        const statuses: number[] = [];
        while (!statuses.includes(429) && statuses.length < 20) {
          const query = await fetch(`${server.url}/v1/reports/query`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ids: ids.map(bytesToBase64) }),
          });
          statuses.push(query.status);
        }
        const answered = statuses.filter((status) => status === 200).length;
        expect(answered).toBeGreaterThan(0);
        expect(statuses.at(-1)).toBe(429);

        const text = await (await fetch(server.metricsUrl!)).text();
        expect(sample(text, 'crowdfind_reports_total{outcome="accepted"}')).toBe(3);
        expect(sample(text, 'crowdfind_reports_total{outcome="duplicate"}')).toBe(1);
        expect(sample(text, 'crowdfind_reports_total{outcome="rejected"}')).toBe(0);
        expect(sample(text, 'crowdfind_query_seconds_count{route="/v1/reports/query",status="200"}')).toBe(answered);
        expect(sample(text, 'crowdfind_query_seconds_count{route="/v1/reports/query",status="429"}')).toBe(1);
        expect(sample(text, 'crowdfind_rate_limited_total{limit="queries"}')).toBe(1);
        expect(sample(text, 'crowdfind_storage_bytes')).toBeGreaterThan(0);
        for (const level of [
          'crowdfind_notices',
          'crowdfind_subscriptions',
          'crowdfind_mailbox_messages',
          'crowdfind_attachment_chunk_bytes',
          'crowdfind_storage_budget_bytes',
          'crowdfind_webhook_attempts_total{outcome="failed"}',
        ])
          expect(sample(text, level), level).toBe(0);
        // The writer thread may still be pruning from the start: its levels are there, whatever they are.
        for (const level of ['crowdfind_writer_queue_depth', 'crowdfind_writer_stall_seconds'])
          expect(sample(text, level), level).toBeGreaterThanOrEqual(0);
        // No id in any spelling, and no client address, anywhere in what is scraped.
        for (const id of ids) {
          expect(text).not.toContain(bytesToBase64(id));
          expect(text).not.toContain(bytesToHex(id));
        }
        expect(text).not.toContain('127.0.0.1');

        const query = `${`http://127.0.0.1:${promPort}`}/api/v1/query?query=${encodeURIComponent('crowdfind_reports_total{outcome="accepted"}')}`;
        // Each try waits for a scrape that began after the uploads (or after the last try) and
        // was answered; Prometheus stores a scrape's samples as it reads them.
        let value: string | undefined;
        while (value !== '3') {
          await scrapes.nextScrape();
          const answer = (await (await fetch(query)).json()) as {
            data: { result: Array<{ value: [number, string] }> };
          };
          value = answer.data.result[0]?.value[1];
        }
        expect(value).toBe('3');
      } finally {
        prometheus.kill('SIGTERM');
        await exited;
        await scrapes.close();
        await server.close();
      }
    },
    180_000,
  );
});
