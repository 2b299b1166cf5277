/**
 * Lost mode end to end against a running server, the same for every runtime: the owner marks a
 * rolling accessory lost with the CLI; a finder's `crowdfind report` reads the notice and uploads
 * a sighting; the owner's SSE stream and webhook receiver both get the sealed report, sooner
 * after the upload's answer than the upload itself took; `crowdfind watch --mqtt` prints the decrypted location and
 * publishes Home Assistant discovery and the location to a real mosquitto broker; a beacon's
 * self-reports come back marked as the device's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { expect } from 'vitest';
import { base64ToBytes, openReport, parsePrivateKeyText } from '../../crypto/index.ts';
import { freePort } from '../../bench/spawn-server.ts';
import { runCli } from '../../src/cli/main.ts';
import { eventReader } from '../contract/event-stream.ts';
import { counted } from '../counted.ts';

export const MESSAGE = 'Green backpack, lost near the station. Reward!';
export const CONTACT = 'owner-e2e@example.org';
/** What finders (and the owner's status) see of it by default: partly hidden before sealing. */
export const SHOWN_CONTACT = 'o***@e***.org';
export const LATITUDE = 51.5007292;
export const LONGITUDE = -0.1246254;

export async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** A webhook receiver on loopback that keeps each delivery with its arrival time; `arrived(n)` waits for `n`. */
export async function webhookReceiver() {
  const deliveries: Array<{ at: number; body: string; timestamp: string; signature: string }> = [];
  const arrivals = counted(() => deliveries.length);
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      deliveries.push({
        at: performance.now(),
        body,
        timestamp: String(request.headers['crowdfind-timestamp']),
        signature: String(request.headers['crowdfind-signature']),
      });
      arrivals.changed();
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/crowdfind`,
    deliveries,
    arrived: arrivals.reach,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Debian's mosquitto (outside root's PATH it is still in /usr/sbin), or undefined where it is not installed. */
export const MOSQUITTO = [
  '/usr/sbin/mosquitto',
  ...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'mosquitto')),
].find((path) => existsSync(path));
if (!MOSQUITTO)
  console.log('lost-mode end-to-end tests skipped: no mosquitto (apt-get install mosquitto; .ci/run installs it)');

/** Debian's mosquitto on a free loopback port, started for the test; resolves once it logs that it runs. */
export async function startBroker(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(MOSQUITTO!, ['-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/ running$/m.test(log)) resolve();
    });
    void exited.then(() => reject(new Error(`mosquitto stopped before it ran: ${log.trim()}`)));
  });
  return { url: `mqtt://127.0.0.1:${port}`, stop: () => (child.kill(), exited) };
}

/** Resolves with the first message (already received or still to come) whose topic passes `wanted`. */
function messageOn(
  client: mqtt.MqttClient,
  messages: ReadonlyArray<{ topic: string; payload: string }>,
  wanted: (topic: string) => boolean,
): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve) => {
    const check = () => {
      const found = messages.find((m) => wanted(m.topic));
      if (found) (client.off('message', check), resolve(found));
    };
    client.on('message', check);
    check();
  });
}

/**
 * @example await lostModeScenario(server.url, folder, broker.url)
 */
export async function lostModeScenario(server: string, folder: string, brokerUrl: string) {
  const keys = join(folder, 'backpack.json');
  expect((await cli('keys', 'new', '--rolling', '--name', 'Backpack', '--out', keys)).code).toBe(0);

  // 1. The owner marks it lost.
  const lost = await cli(
    'lost',
    'on',
    '--keys',
    keys,
    '--server',
    server,
    '--message',
    MESSAGE,
    '--contact',
    CONTACT,
    '--for',
    '1d',
  );
  expect(lost.code, lost.stderr).toBe(0);
  const published = JSON.parse(lost.stdout) as { published: number; keys: number; until: string };
  expect(published.published).toBe(published.keys);
  expect(published.keys).toBeGreaterThanOrEqual(96);
  const status = JSON.parse((await cli('lost', 'status', '--keys', keys, '--server', server)).stdout);
  expect(status).toMatchObject({ lost: true, message: MESSAGE, contact: { kind: 'email', value: SHOWN_CONTACT } });
  // One "until": when the last notice expires, the same in lost on and lost status.
  expect(status.until).toBe(published.until);

  // 2. The owner listens: a raw SSE stream with a webhook, and `crowdfind watch --mqtt`.
  const shown = JSON.parse((await cli('keys', 'show', '--keys', keys)).stdout) as
    | { advertisementKey: string; hashedId: string; privateKey: string }
    | Array<{ advertisementKey: string; hashedId: string; privateKey: string }>;
  const current = Array.isArray(shown) ? shown[0]! : shown;
  const receiver = await webhookReceiver();
  const secret = 'e2e-webhook-secret-0123';
  const subscribed = await fetch(`${server}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ids: [current.hashedId], ttlSeconds: 300, webhook: { url: receiver.url, secret } }),
  });
  expect(subscribed.status, await subscribed.clone().text()).toBe(201);
  const { events: eventsPath } = (await subscribed.json()) as { events: string };
  const events = eventReader(await fetch(server + eventsPath));

  const observer = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0 });
  const messages: Array<{ topic: string; payload: string }> = [];
  observer.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString() }));
  await observer.subscribeAsync(['homeassistant/#', 'crowdfind/#']);
  const watchOutput = { stdout: '', stderr: '' };
  let listening!: () => void;
  const listens = new Promise<void>((resolve) => (listening = resolve));
  const watching = runCli(
    ['watch', '--keys', keys, '--server', server, '--format', 'json', '--mqtt', brokerUrl, '--count', '1'],
    {
      stdout: (t) => (watchOutput.stdout += t),
      // It says "watching" once its event stream is open: every upload from then on reaches it.
      stderr: (t) => ((watchOutput.stderr += t), /watching \d+ keys/.test(watchOutput.stderr) && listening()),
    },
  ).then((code) => ({ code, ...watchOutput }));
  await Promise.race([
    listens,
    watching.then((w) => Promise.reject(new Error(`the watch ended before it listened: ${w.stderr}`))),
  ]);
  // It published its discovery message before it subscribed.
  const discovered = messageOn(observer, messages, (topic) => topic.endsWith('/config'));

  // 3. A finder receives the advertisement, reads the notice, uploads a sighting.
  const uploadStarted = performance.now();
  const found = await cli(
    'report',
    '--key',
    current.advertisementKey,
    '--lat',
    String(LATITUDE),
    '--lon',
    String(LONGITUDE),
    '--server',
    server,
  );
  const acknowledged = performance.now();
  expect(found.code, found.stderr).toBe(0);
  expect(JSON.parse(found.stdout)).toMatchObject({
    accepted: 1,
    notice: { status: 'valid', message: MESSAGE, contact: { kind: 'email', value: SHOWN_CONTACT } },
  });
  expect(found.stderr).toContain(`The owner says: "${MESSAGE}"`);
  expect(found.stdout + found.stderr).not.toContain(CONTACT);

  // 4. The SSE event and the signed webhook, each with the sealed report.
  const event = await events.next();
  const eventAt = performance.now();
  expect(event?.event).toBe('reports');
  await receiver.arrived(1);
  expect(receiver.deliveries).toHaveLength(1);
  const delivery = receiver.deliveries[0]!;
  expect(delivery.signature).toBe(
    `v1=${createHmac('sha256', secret).update(`${delivery.timestamp}.${delivery.body}`).digest('hex')}`,
  );
  const privateKey = parsePrivateKeyText(current.privateKey);
  for (const data of [event!.data, delivery.body]) {
    const [report] = (JSON.parse(data) as { reports: Array<{ id: string; payload: string }> }).reports;
    expect(report!.id).toBe(current.hashedId);
    const opened = openReport(base64ToBytes(report!.payload), privateKey);
    expect([opened.latitude, opened.longitude]).toEqual([LATITUDE, LONGITUDE]);
  }
  await events.close();

  // 5. The watch printed the decrypted location and published it to Home Assistant.
  const watched = await watching;
  expect(watched.code, watched.stderr).toBe(0);
  expect(JSON.parse(watched.stdout)).toMatchObject({
    latitude: LATITUDE,
    longitude: LONGITUDE,
    device: 'Backpack',
    selfReport: false,
  });
  const attributes = messageOn(observer, messages, (topic) => topic === 'crowdfind/crowdfind_backpack/attributes');
  const discovery = JSON.parse((await discovered).payload);
  expect((await discovered).topic).toBe('homeassistant/device_tracker/crowdfind_backpack/config');
  expect(discovery).toMatchObject({
    unique_id: 'crowdfind_backpack',
    source_type: 'gps',
    json_attributes_topic: 'crowdfind/crowdfind_backpack/attributes',
  });
  const location = JSON.parse((await attributes).payload);
  expect(location).toMatchObject({ latitude: LATITUDE, longitude: LONGITUDE, gps_accuracy: 10 });
  await observer.endAsync();
  await receiver.close();

  // 6. The device reports itself; locate marks those reports as its own and the finder's not.
  const beacon = await cli(
    'beacon',
    '--keys',
    keys,
    '--server',
    server,
    '--lat',
    '48.1',
    '--lon',
    '11.5',
    '--every',
    '1s',
    '--count',
    '2',
  );
  expect(beacon.code, beacon.stderr).toBe(0);
  const located = JSON.parse(
    (await cli('locate', '--keys', keys, '--server', server, '--since', '1h', '--format', 'json')).stdout,
  ) as Array<{ latitude: number; selfReport: boolean }>;
  expect(located.filter((r) => r.selfReport).map((r) => r.latitude)).toEqual([48.1, 48.1]);
  expect(located.filter((r) => !r.selfReport).map((r) => r.latitude)).toEqual([LATITUDE]);

  // 7. Found: the notices are withdrawn.
  const off = await cli('lost', 'off', '--keys', keys, '--server', server);
  expect(JSON.parse(off.stdout)).toEqual({ lost: false, withdrawn: published.keys });
  expect(JSON.parse((await cli('lost', 'status', '--keys', keys, '--server', server)).stdout)).toEqual({
    lost: false,
    liveNotices: 0,
  });

  return { deliveryMs: eventAt - acknowledged, uploadMs: acknowledged - uploadStarted };
}
