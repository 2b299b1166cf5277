/**
 * `npm run bench:notify`: notify-when-found under 1,000 open subscriptions, on the server in its
 * own process (the `npm start` path), measured over loopback HTTP in one run:
 *   - delivery latency: from the moment an upload's answer arrives to the moment the matching
 *     `reports` event arrives on its subscription's Server-Sent Events stream (p50, p99);
 *   - upload throughput (1,000-report binary batches, concurrency 4) on the same server with the
 *     1,000 subscriptions and their streams open and with none, in ABBA rounds (the
 *     subscriptions are opened and closed between them; the medians are compared). Two server
 *     processes on two files, tried first, differed by up to 14 % with no subscription on
 *     either: one server is the fair comparison.
 * Each subscription watches 8 ids and comes from its own address (X-Forwarded-For behind
 * TRUST_PROXY), as 1,000 owners would.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToBase64 } from '../crypto/index.ts';
import { encodeBinaryUpload } from '../src/contract/binary-upload.ts';
import { httpClient } from './http-client.ts';
import { printTable } from './measure.ts';
import { spawnServer } from './spawn-server.ts';
import { hashedIdPopulation, syntheticPayload } from './synthetic-reports.ts';

const SUBSCRIPTIONS = 1000;
const IDS_PER_SUBSCRIPTION = 8;
const PROBES = 300;
const BATCH = 1000;
const BATCHES = 20;
/** Throughput phases, half with subscriptions open. */
const ROUNDS = 12;
const CONCURRENCY = 4;

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-bench-notify-'));
const settings = {
  MAX_BATCH: String(BATCH),
  RATE_LIMIT_UPLOADS: '0',
  RATE_LIMIT_QUERIES: '0',
  RATE_LIMIT_REPORTS: '0',
  MAX_REPORTS_PER_ID_PER_DAY: '0',
  TRUST_PROXY: '1',
};
const server = await spawnServer(join(folder, 'reports.db'), settings);
const url = server.url;
const { hostname, port } = new URL(url);
const now = () => Math.floor(Date.now() / 1000);

/** Reports per second of BATCHES binary uploads of random ids. */
async function uploadRate(): Promise<number> {
  const bodies = Array.from({ length: BATCHES }, () =>
    encodeBinaryUpload(
      hashedIdPopulation(BATCH).map((hashedId) => ({ hashedId, payload: syntheticPayload(now() - 60) })),
    ),
  );
  // A client per phase: the server closes connections left idle between phases.
  const post = httpClient(url);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const { status } = await post('/v1/reports', 'application/octet-stream', bodies[next++]!, () => 0);
        if (status !== 200) throw new Error(`upload answered ${status}`);
      }
    }),
  );
  return (BATCHES * BATCH) / ((performance.now() - start) / 1000);
}

interface Subscriber {
  readonly name: string;
  readonly ids: Uint8Array[];
  response?: IncomingMessage;
  /** Resolved by the next `reports` event. */
  waiting?: (at: number) => void;
}

async function subscribe(index: number): Promise<Subscriber> {
  const ids = hashedIdPopulation(IDS_PER_SUBSCRIPTION);
  const answer = await fetch(`${url}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.${index >> 8}.${index & 255}.1` },
    body: JSON.stringify({ ids: ids.map(bytesToBase64), ttlSeconds: 3600 }),
  });
  if (answer.status !== 201) throw new Error(`subscribe answered ${answer.status}: ${await answer.text()}`);
  const { subscription } = (await answer.json()) as { subscription: string };
  const subscriber: Subscriber = { name: subscription, ids };
  await new Promise<void>((resolve, reject) => {
    const request = httpRequest(
      { host: hostname, port, path: `/v1/subscriptions/${subscription}/events`, agent: false },
      (response) => {
        subscriber.response = response;
        response.on('data', (chunk: Buffer) => {
          if (chunk.includes('event: reports')) subscriber.waiting?.(performance.now());
        });
        resolve();
      },
    );
    request.on('error', reject);
    request.end();
  });
  return subscriber;
}

/** Opens the 1,000 subscriptions with their streams. */
async function subscribeAll(): Promise<Subscriber[]> {
  const subscribers: Subscriber[] = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) subscribers.push(await subscribe(i));
  return subscribers;
}

/** Ends them all and waits until the server has let them go. */
async function cancelAll(subscribers: Subscriber[]): Promise<void> {
  for (const subscriber of subscribers) {
    await fetch(`${url}/v1/subscriptions/${subscriber.name}`, { method: 'DELETE' });
    subscriber.response?.destroy();
  }
}

try {
  let subscribers = await subscribeAll();

  const latencies: number[] = [];
  const post = httpClient(url);
  for (let probe = 0; probe < PROBES; probe++) {
    const subscriber = subscribers[Math.floor(Math.random() * SUBSCRIPTIONS)]!;
    const hashedId = subscriber.ids[probe % IDS_PER_SUBSCRIPTION]!;
    // One watched report among 99 others, as in a finder's ordinary batch.
    const rows = [{ hashedId, payload: syntheticPayload(now() - 30) }].concat(
      hashedIdPopulation(99).map((id) => ({ hashedId: id, payload: syntheticPayload(now() - 30) })),
    );
    const arrived = new Promise<number>((resolve) => (subscriber.waiting = resolve));
    const { status } = await post('/v1/reports', 'application/octet-stream', encodeBinaryUpload(rows), () => 0);
    const acknowledged = performance.now();
    if (status !== 200) throw new Error(`upload answered ${status}`);
    latencies.push(Math.max(0, (await arrived) - acknowledged));
    subscriber.waiting = undefined;
  }
  // Open now: W N N W W N N W …, opening and closing between the phases.
  const rates = { watched: [] as number[], plain: [] as number[] };
  for (let phase = 0; phase < ROUNDS; phase++) {
    const open = phase % 4 === 0 || phase % 4 === 3;
    if (open && subscribers.length === 0) subscribers = await subscribeAll();
    if (!open && subscribers.length > 0) {
      await cancelAll(subscribers);
      subscribers = [];
    }
    rates[open ? 'watched' : 'plain'].push(await uploadRate());
  }
  await cancelAll(subscribers);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [withSubscriptions, without] = [median(rates.watched), median(rates.plain)];

  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  console.log(
    `bench:notify — ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; ${SUBSCRIPTIONS} subscriptions of ${IDS_PER_SUBSCRIPTION} ids, each with an open event stream`,
  );
  printTable(`Delivery, upload answered → SSE event (${PROBES} probes)`, [
    ['p50', percentile(50).toFixed(2), 'ms'],
    ['p99', percentile(99).toFixed(2), 'ms'],
  ]);
  printTable(
    `Upload throughput, batches of ${BATCH}, concurrency ${CONCURRENCY}, medians of ${ROUNDS / 2} phases each, alternating`,
    [
      ['no subscriptions', without.toFixed(0), 'reports/s'],
      [
        `${SUBSCRIPTIONS} subscriptions open`,
        withSubscriptions.toFixed(0),
        `reports/s = ${(withSubscriptions / without).toFixed(2)}× none`,
      ],
    ],
  );
} finally {
  server.child.kill();
  await server.exited;
  rmSync(folder, { recursive: true, force: true });
}
