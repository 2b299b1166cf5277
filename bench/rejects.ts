/**
 * `npm run bench:rejects`: what refusing a bad upload costs the server against accepting a valid
 * one of the same size, measured side by side through the app (a real SQLite file, the fast
 * P-224 engine, no HTTP). The hostile bodies are the cheapest to send per byte: empty items,
 * short strings, and a full batch whose last item is bad. Refusing must cost no more per byte.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToBase64, compileP224Module, fastP224 } from '../crypto/index.ts';
import { createApp } from '../src/http/app.ts';
import { DEFAULT_CONFIG } from '../src/rules/config.ts';
import { openDatabase } from '../src/storage/sqlite/database.ts';
import { appStores } from '../src/storage/sqlite/app-stores.ts';
import { printTable } from './measure.ts';
import { syntheticPayload } from './synthetic-reports.ts';

const RUNS = 7;
const folder = mkdtempSync(join(tmpdir(), 'crowdfind-rejects-'));
const config = { ...DEFAULT_CONFIG, uploadsPerMinute: 0, maxReportsPerIdPerDay: 0 };
const app = createApp({
  ...appStores(openDatabase(join(folder, 'reports.db'))),
  config,
  log: () => {},
  p224: fastP224(compileP224Module()),
});
const now = Math.floor(Date.now() / 1000);

const validItem = () => ({
  id: bytesToBase64(randomFillSync(new Uint8Array(32))),
  payload: bytesToBase64(syntheticPayload(now - 60)),
});
const body = (items: unknown[]) => JSON.stringify({ reports: items });
/**
 * A valid upload of about `bytes` bytes, or the largest a batch may be when that is smaller
 * (the comparison is per byte); fresh reports each time, so that none is a duplicate.
 */
const validOfSize = (bytes: number) => () =>
  body(Array.from({ length: Math.min(config.maxBatch, Math.max(1, Math.round(bytes / 186))) }, validItem));

/** Median milliseconds of posting a body made by `make` (made outside the timing), and its status. */
async function median(make: () => string): Promise<{ ms: number; status: number; bytes: number }> {
  const times: number[] = [];
  let status = 0;
  let bytes = 0;
  for (let run = -1; run < RUNS; run++) {
    const text = make();
    bytes = text.length;
    const start = performance.now();
    const response = await app.request('/v1/reports', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    await response.arrayBuffer();
    if (run >= 0) times.push(performance.now() - start);
    status = response.status;
  }
  return { ms: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!, status, bytes };
}

const hostile: Array<[string, () => string]> = [
  ['400,000 empty items (over MAX_BATCH)', () => body(Array(400_000).fill({}))],
  ['5,000 empty items', () => body(Array(5000).fill({}))],
  ['5,000 items of short strings', () => body(Array(5000).fill({ id: 'x', payload: 'y' }))],
  [
    '5,000 valid items, the last bad',
    () => body([...Array.from({ length: 4999 }, validItem), { id: 'x', payload: 'y' }]),
  ],
];
console.log(
  `bench:rejects — ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, medians of ${RUNS} runs`,
);
const rows: Array<[string, string, string]> = [];
for (const [label, make] of hostile) {
  const refused = await median(make);
  const accepted = await median(validOfSize(refused.bytes));
  const perByte = (r: { ms: number; bytes: number }) => (r.ms * 1e6) / r.bytes;
  rows.push([
    `${label}, ${(refused.bytes / 1024).toFixed(0)} KiB`,
    `${refused.ms.toFixed(1)} ms`,
    `${refused.status}; a valid body of that size ${accepted.ms.toFixed(1)} ms (${accepted.status}): ` +
      `${(perByte(refused) / perByte(accepted)).toFixed(2)}× per byte`,
  ]);
}
printTable('Refusing a bad JSON upload against accepting a valid one of the same size', rows);
rmSync(folder, { recursive: true, force: true });
