import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesToBase64, generatePrivateKey, keyPairOf } from '../../crypto/index.ts';
import { createApp } from '../../src/http/app.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { appStores } from '../../src/storage/sqlite/app-stores.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { COALESCE_MS, SubscriptionError, SubscriptionHub } from '../../src/notify/hub.ts';
import { isPrivateAddress, webhookTarget } from '../../src/notify/webhook-target.ts';
import { RetryingWebhookSender, webhookSignature } from '../../src/notify/webhook.ts';
import { webhookPost } from '../../src/runtime/node/webhook-post.ts';
import type { StoredReport } from '../../src/storage/store.ts';
import { syntheticPayload } from '../../bench/synthetic-reports.ts';
import { counted } from '../counted.ts';
import { eventReader } from '../contract/event-stream.ts';
import { sealFor } from '../contract/fixtures.ts';
import { webhookTargetSuite } from '../webhook-target-suite.ts';

const stored = (owner: ReturnType<typeof keyPairOf>, atMs: number): StoredReport => {
  const report = sealFor(owner, atMs);
  return { hashedId: report.hashedId, payload: report.payloadBytes, timestamp: atMs / 1000, receivedAt: atMs / 1000 };
};
const newOwner = () => keyPairOf(generatePrivateKey());

describe('webhook targets (SSRF guard)', () => {
  it('refuses loopback, link-local, private, unique-local and mapped addresses, in every spelling URL parsing accepts', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://localhost:8080/',
      'http://api.localhost/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[fc00::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:10.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://2130706433/', // 127.0.0.1 as one number
      'http://0x7f.1/', // 127.0.0.1 in hex
    ]) {
      expect(() => webhookTarget(url, false), url).toThrow(/address is refused/);
    }
  });

  it('accepts public names and addresses, and private ones only when the operator allows them', () => {
    expect(webhookTarget('https://owner.example/hook', false).hostname).toBe('owner.example');
    expect(webhookTarget('http://93.184.215.14/', false).hostname).toBe('93.184.215.14');
    expect(webhookTarget('http://[2606:4700::1111]/', false).hostname).toBe('[2606:4700::1111]');
    expect(webhookTarget('http://127.0.0.1:9/', true).port).toBe('9');
    expect(() => webhookTarget('file:///etc/passwd', true)).toThrow(/http or https/);
    expect(() => webhookTarget('https://user:pw@owner.example/', false)).toThrow(/credentials/);
    expect(isPrivateAddress('8.8.8.8')).toBe(false);
    expect(isPrivateAddress('::ffff:8.8.8.8')).toBe(false);
  });
});

webhookTargetSuite();

describe('subscribing with a webhook', () => {
  it('is refused for private targets by a server with the default settings, with a problem that says why', async () => {
    const app = createApp({ ...appStores(openDatabase(':memory:')), config: DEFAULT_CONFIG, log: () => {} });
    const id = bytesToBase64(newOwner().hashedId);
    for (const url of ['http://127.0.0.1:8080/hook', 'http://169.254.169.254/', 'http://[::1]/', 'http://localhost/']) {
      const response = await app.request('/v1/subscriptions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [id], webhook: { url, secret: 'a-secret-of-16-chars' } }),
      });
      expect(response.status, url).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toMatch(/address is refused/);
    }
  });
});

describe('webhook signatures', () => {
  it('match the example in docs/protocol.md §15, computed with openssl', () => {
    expect(webhookSignature('s3cret-s3cret-s3cret', 1767225600, '{"reports":[]}')).toBe(
      'v1=5d8e213a2287c7b82855925f7bd69d58d5fec55f77de04b1b9e0d310b76c5172',
    );
  });
});

describe('webhook delivery on Node', () => {
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const arrivals = counted(() => received.length);
  let answer = 200;
  let url: string;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      // The answer is chosen before the test hears of the delivery, which may change it.
      response.writeHead(answer).end();
      received.push({ headers: request.headers, body });
      arrivals.changed();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => server.close());

  it('signs each delivery so the receiver can check it, and retries until it is taken', async () => {
    received.length = 0;
    answer = 503;
    const logs: string[] = [];
    const sender = new RetryingWebhookSender({ send: webhookPost(true), log: (l) => logs.push(l), firstRetryMs: 20 });
    sender.deliver({ url, secret: 'a-secret-of-16-chars' }, '{"reports":[]}');
    await arrivals.reach(2);
    answer = 200;
    await arrivals.reach(3);
    const last = received[2]!;
    expect(last.body).toBe('{"reports":[]}');
    const timestamp = Number(last.headers['crowdfind-timestamp']);
    expect(last.headers['crowdfind-signature']).toBe(webhookSignature('a-secret-of-16-chars', timestamp, last.body));
    expect(logs).toEqual([]);
  });

  it('gives up after five attempts and says so in the log, without the URL', async () => {
    received.length = 0;
    answer = 500;
    const logs: string[] = [];
    const logged = counted(() => logs.length);
    const log = (line: string) => (logs.push(line), logged.changed());
    const sender = new RetryingWebhookSender({ send: webhookPost(true), log, firstRetryMs: 5 });
    sender.deliver({ url, secret: 'a-secret-of-16-chars' }, '{}');
    await logged.reach(1);
    expect(logs).toEqual(['webhook delivery failed after 5 attempts: answered 500']);
    expect(received).toHaveLength(5);
  });

  it('refuses at connect time a name that resolves to a private address (DNS rebinding)', async () => {
    const port = (server.address() as AddressInfo).port;
    await expect(webhookPost(false)(`http://localhost:${port}/hook`, '{}', {})).rejects.toThrow(/private address/);
  });
});

describe('subscription hub', () => {
  it('coalesces a burst into one event and skips a report it already delivered', async () => {
    const hub = new SubscriptionHub();
    const owner = newOwner();
    const { subscription } = hub.subscribe({ hashedIds: [owner.hashedId], client: 'a' });
    const events = eventReader(new Response(hub.events(subscription)));
    const burst = [0, 1, 2].map((i) => stored(owner, 1_700_000_000_000 + i * 1000));
    for (const report of burst) hub.publish([report], report.receivedAt);
    hub.publish([burst[0]!], burst[0]!.receivedAt);
    const payloadsOf = async () =>
      (JSON.parse((await events.next())!.data) as { reports: Array<{ payload: string }> }).reports.map(
        (r) => r.payload,
      );
    expect(await payloadsOf()).toEqual(burst.map((r) => bytesToBase64(r.payload)));
    // The repeat went nowhere: the next event holds only the report published after it.
    const fresh = stored(owner, 1_700_000_010_000);
    hub.publish([fresh], fresh.receivedAt);
    expect(await payloadsOf()).toEqual([bytesToBase64(fresh.payload)]);
    hub.close();
  });

  it('sends the first report after a quiet spell at once, and one that follows within COALESCE_MS when that ends', async () => {
    // The hub's timers and performance.now() run on a clock the test moves; setImmediate stays
    // real, to let the stream's reads run.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const hub = new SubscriptionHub();
      const owner = newOwner();
      const { subscription } = hub.subscribe({ hashedIds: [owner.hashedId], client: 'a' });
      const events = eventReader(new Response(hub.events(subscription)));
      let received: string | undefined;
      const nextEvent = () => events.next().then((event) => (received = event!.data));
      for (const [report, wait] of [
        [stored(owner, 1_700_000_000_000), 0],
        [stored(owner, 1_700_000_001_000), COALESCE_MS],
      ] as const) {
        received = undefined;
        const arrived = nextEvent();
        hub.publish([report], report.receivedAt);
        if (wait > 0) {
          await vi.advanceTimersByTimeAsync(wait - 1);
          await settled();
          expect(received).toBeUndefined();
        }
        await vi.advanceTimersByTimeAsync(wait > 0 ? 1 : 0);
        await settled();
        expect(received).toBeDefined();
        await arrived;
        expect(JSON.parse(received!).reports.map((r: { payload: string }) => r.payload)).toEqual([
          bytesToBase64(report.payload),
        ]);
      }
      hub.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('caps subscriptions per client and ends them at expiry', async () => {
    let now = 1_700_000_000_000;
    const hub = new SubscriptionHub({ clock: () => now });
    const ids = [newOwner().hashedId];
    for (let i = 0; i < 16; i++) hub.subscribe({ hashedIds: ids, client: 'greedy' });
    expect(() => hub.subscribe({ hashedIds: ids, client: 'greedy' })).toThrow(SubscriptionError);
    const { subscription } = hub.subscribe({ hashedIds: ids, client: 'other', ttlSeconds: 60 });
    const events = eventReader(new Response(hub.events(subscription)));
    now += 61_000;
    expect(await events.next()).toMatchObject({ event: 'end', data: '{"reason":"expired"}' });
    expect(() => hub.events(subscription)).toThrow(/no such subscription/);
    expect(hub.size).toBe(16);
    hub.close();
  });

  it('ends a stream whose reader stopped reading instead of buffering for it', async () => {
    const hub = new SubscriptionHub();
    const owner = newOwner();
    const { subscription } = hub.subscribe({ hashedIds: [owner.hashedId], client: 'slow' });
    const stream = hub.events(subscription);
    // Never read: publish more than a megabyte of events (500 reports make an event at once). The
    // hub only reads a payload's ephemeral key, so synthetic ones serve: sealing 6000 took 25 s.
    const backlog = Array.from({ length: 6000 }, (_, i) => ({
      hashedId: owner.hashedId,
      payload: syntheticPayload(1_700_000_000 + i),
      timestamp: 1_700_000_000 + i,
      receivedAt: 1_700_010_000,
    }));
    hub.publish(backlog, 1_700_010_000);
    const reader = stream.getReader();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow(/fell too far behind/);
    hub.close();
  });
});
