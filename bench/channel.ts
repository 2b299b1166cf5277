/**
 * `npm run bench:channel`: the owner↔device channel on the server in its own process (the
 * `npm start` path), over loopback, in one run:
 *   - command round trip with 1,000 phones waiting in long-polls: from the owner starting to
 *     post a command to the owner holding the phone's opened answer (sealing, signing, opening and
 *     checking on both sides included), p50 and p99 over 200 commands to random phones;
 *   - photo upload: a 5 MiB file encrypted and uploaded in 64 KiB chunks, in MB/s, beside a plain
 *     copy of a file of the same size on the same disk.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelDay } from '../crypto/index.ts';
import { uploadAttachment } from '../src/sdk/attachments.ts';
import { readFromPeer, sendToPeer } from '../src/sdk/channel.ts';
import { newPairing, type Pairing } from '../src/sdk/pairing.ts';
import { printTable } from './measure.ts';
import { spawnServer } from './spawn-server.ts';

const PHONES = 1000;
const COMMANDS = 200;
const PHOTO_BYTES = 5 * 1024 * 1024;

const folder = mkdtempSync(join(tmpdir(), 'crowdfind-bench-channel-'));
const server = await spawnServer(join(folder, 'reports.db'), {
  RATE_LIMIT_QUERIES: '0',
  RATE_LIMIT_UPLOADS: '0',
  // A thousand phones would come from a thousand addresses; here they share one.
  MAX_CONNECTIONS_PER_CLIENT: '0',
});
const options = { server: server.url };
const stop = new AbortController();

/** A phone: waits for commands, answers each at once. */
async function phone(pairing: Pairing): Promise<void> {
  let after = 0;
  let sent = 0;
  while (!stop.signal.aborted) {
    const received = await readFromPeer(pairing, channelDay(Date.now()), after, 25, {
      ...options,
      fetch: (url, init) => fetch(url, { ...init, signal: stop.signal }),
    }).catch(() => []);
    for (const message of received) {
      after = message.seq;
      if ('body' in message)
        await sendToPeer(
          pairing,
          {
            type: 'done',
            seq: ++sent,
            expiresAt: Math.floor(Date.now() / 1000) + 600,
            inReplyTo: message.body.seq,
          },
          options,
        );
    }
  }
}

try {
  const pairings = Array.from({ length: PHONES }, (_, i) => newPairing(`phone ${i}`));
  const phones = pairings.map(({ device }) => phone(device));
  await new Promise((resolve) => setTimeout(resolve, 2000)); // every phone is parked in its long-poll

  const latencies: number[] = [];
  const answeredAfter = new Map<number, number>();
  for (let i = 0; i < COMMANDS; i++) {
    const index = Math.floor(Math.random() * PHONES);
    const { owner } = pairings[index]!;
    const started = performance.now();
    // Numbered as the owner's tools number them (docs/protocol.md §17): unique here across phones.
    const seq = i + 1;
    await sendToPeer(owner, { type: 'ring', seq, expiresAt: Math.floor(Date.now() / 1000) + 600 }, options);
    let answered = false;
    while (!answered) {
      const received = await readFromPeer(owner, channelDay(Date.now()), answeredAfter.get(index) ?? 0, 25, options);
      for (const message of received) {
        answeredAfter.set(index, message.seq);
        if ('body' in message && message.body.inReplyTo === seq) answered = true;
      }
    }
    latencies.push(performance.now() - started);
  }

  const photo = new Uint8Array(randomBytes(PHOTO_BYTES));
  const uploadStart = performance.now();
  await uploadAttachment(pairings[0]!.device, photo, options);
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  writeFileSync(join(folder, 'photo.bin'), photo);
  const copyStart = performance.now();
  copyFileSync(join(folder, 'photo.bin'), join(folder, 'photo-copy.bin'));
  const copySeconds = (performance.now() - copyStart) / 1000;

  stop.abort();
  await Promise.allSettled(phones);
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const mb = PHOTO_BYTES / 1e6;
  console.log(
    `bench:channel — ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; ${PHONES} phones waiting in long-polls, this process is owners and phones alike`,
  );
  printTable(`Command round trip, owner posts → phone answers → owner has it (${COMMANDS} commands)`, [
    ['p50', percentile(50).toFixed(1), 'ms'],
    ['p99', percentile(99).toFixed(1), 'ms'],
  ]);
  printTable(`Photo of ${(PHOTO_BYTES / 2 ** 20).toFixed(0)} MiB`, [
    ['encrypted and uploaded in 64 KiB chunks', (mb / uploadSeconds).toFixed(1), 'MB/s'],
    [
      'plain copy of a file of that size',
      (mb / copySeconds).toFixed(0),
      `MB/s (upload = ${(mb / uploadSeconds / (mb / copySeconds)).toFixed(3)}× copy)`,
    ],
  ]);
} finally {
  stop.abort();
  server.child.kill();
  await server.exited;
  rmSync(folder, { recursive: true, force: true });
}
