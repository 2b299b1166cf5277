/**
 * Notify-when-found: subscriptions to hashed ids, and the delivery of each newly uploaded report
 * of a watched id, still sealed, to the subscription's event streams and webhook. The hub holds
 * only what delivery needs, in memory, and forgets a subscription when it expires: it is not a
 * log of who watches what. It knows no runtime: the Node server holds one in its process, the
 * Worker holds one in a Durable Object (runtime/workers/subscription-hub.ts).
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesToBase64, bytesToBase64Url, bytesToHex, parseReport } from '../../crypto/index.ts';
import {
  DEFAULT_SUBSCRIPTION_SECONDS,
  MAX_STREAMS_PER_SUBSCRIPTION,
  MAX_SUBSCRIPTIONS_PER_CLIENT,
  MAX_WATCHED_IDS_PER_CLIENT,
} from '../contract/limits.ts';
import type { ObservedReport, StoredReport } from '../storage/store.ts';
import type { WebhookSender } from './webhook.ts';

/** Events of one subscription are at least this far apart: reports arriving in between go out together. */
export const COALESCE_MS = 100;
/** Most reports in one event; more start the next. */
const MAX_REPORTS_PER_EVENT = 500;
/** Seals a subscription remembers having delivered, so a re-upload is not announced twice. */
const REMEMBERED_SEALS = 4096;
/** A stream whose reader lets this much pile up is closed: the hub does not buffer for the slow. */
const MAX_STREAM_BACKLOG_BYTES = 1 << 20;
/** A comment line this often keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** Subscriptions in one hub at most, whoever opened them. */
const MAX_SUBSCRIPTIONS = 20_000;
/**
 * Hashed ids all subscriptions watch together (an id two subscriptions watch counts twice):
 * memory grows with them, about 0.3 KB each (test/node/fairness.test.ts measures it), so
 * this bounds the hub's watch lists near 40 MB, where 20,000 full subscriptions would need GBs.
 */
export const MAX_WATCHED_IDS = 131_072;

/** Why the hub refused: the route turns it into a problem with this status. */
export class SubscriptionError extends Error {
  override name = 'SubscriptionError';
  constructor(
    readonly status: 404 | 409 | 429,
    message: string,
  ) {
    super(message);
  }
}

export interface SubscribeOptions {
  readonly hashedIds: readonly Uint8Array[];
  /** Who asks, for the per-client cap; never stored beyond the subscription. */
  readonly client: string;
  readonly ttlSeconds?: number;
  readonly webhook?: { readonly url: string; readonly secret: string };
}

export interface SubscriptionInfo {
  readonly subscription: string;
  /** Unix seconds. */
  readonly expiresAt: number;
  readonly ids: number;
}

interface Subscription {
  readonly name: string;
  readonly client: string;
  ids: string[];
  expiresAt: number;
  readonly webhook?: { readonly url: string; readonly secret: string };
  /** Open streams, each with its heartbeat timer. */
  readonly streams: Map<ReadableStreamDefaultController<Uint8Array>, ReturnType<typeof setInterval>>;
  pending: StoredReport[];
  flushTimer?: ReturnType<typeof setTimeout>;
  /** When its last event went out (Unix ms), for coalescing. */
  lastFlushAt: number;
  delivered: Set<string>;
  sequence: number;
}

/** The parts of a hub, injected so that tests and runtimes choose them. */
export interface HubParts {
  /** Unix ms. */
  readonly clock?: () => number;
  /** Delivers signed webhooks; without it, subscriptions with a webhook are refused. */
  readonly webhooks?: WebhookSender;
}

const encoder = new TextEncoder();
/** A 32-bit prefix of an id as a number: a cheap first test on the upload path. */
const prefixOf = (id: Uint8Array) => ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;

/** A report's id and seal (schema.ts SEAL_SQL: 8 bytes of its ephemeral key's x), as a set key. */
function sealKey({ hashedId, payload }: ObservedReport): string {
  return bytesToHex(hashedId) + bytesToHex(parseReport(payload).ephemeralPublicKey.subarray(1, 9));
}

/** A request's ids, each once, as hex. */
const distinctIds = (hashedIds: readonly Uint8Array[]) => [...new Set(hashedIds.map(bytesToHex))];

function dropStream(subscription: Subscription, stream: ReadableStreamDefaultController<Uint8Array>): void {
  clearInterval(subscription.streams.get(stream));
  subscription.streams.delete(stream);
}

/**
 * @example const hub = new SubscriptionHub(); const { subscription } = hub.subscribe({ hashedIds, client });
 */
export class SubscriptionHub {
  readonly #clock: () => number;
  readonly #webhooks: WebhookSender | undefined;
  readonly #subscriptions = new Map<string, Subscription>();
  /** Hex id → the subscriptions watching it. */
  readonly #watchers = new Map<string, Set<Subscription>>();
  /** Prefixes of every watched id, with how many watched ids share each. */
  readonly #prefixes = new Map<number, number>();
  /** Per client: its open subscriptions, and the ids they watch together. */
  readonly #perClient = new Map<string, { subscriptions: number; ids: number }>();
  /** Ids all subscriptions watch, counted once per subscription. */
  #watchedIds = 0;
  #sweep: ReturnType<typeof setInterval> | undefined;

  constructor({ clock = Date.now, webhooks }: HubParts = {}) {
    this.#clock = clock;
    this.#webhooks = webhooks;
  }

  /** Opens a subscription; refuses past the per-client and hub-wide caps. */
  subscribe({ hashedIds, client, ttlSeconds, webhook }: SubscribeOptions): SubscriptionInfo {
    if (webhook && !this.#webhooks) throw new SubscriptionError(409, 'this server delivers no webhooks');
    if ((this.#perClient.get(client)?.subscriptions ?? 0) >= MAX_SUBSCRIPTIONS_PER_CLIENT) {
      throw new SubscriptionError(429, `at most ${MAX_SUBSCRIPTIONS_PER_CLIENT} open subscriptions per client`);
    }
    if (this.#subscriptions.size >= MAX_SUBSCRIPTIONS) {
      throw new SubscriptionError(429, 'the server holds as many subscriptions as it takes; try later');
    }
    const ids = distinctIds(hashedIds);
    this.#checkRoom(client, ids.length, 0);
    const name = bytesToBase64Url(randomBytes(16));
    const subscription: Subscription = {
      name,
      client,
      ids: [],
      expiresAt: 0,
      ...(webhook ? { webhook } : {}),
      streams: new Map(),
      pending: [],
      delivered: new Set(),
      sequence: 0,
      lastFlushAt: -Infinity,
    };
    this.#subscriptions.set(name, subscription);
    const counts = this.#perClient.get(client) ?? { subscriptions: 0, ids: 0 };
    counts.subscriptions++;
    this.#perClient.set(client, counts);
    this.#watch(subscription, ids);
    subscription.expiresAt = this.#expiry(ttlSeconds);
    this.#startSweep();
    return this.#info(subscription);
  }

  /** Extends a subscription, and replaces its ids when given (rolling keys advance). */
  renew(name: string, { hashedIds, ttlSeconds }: { hashedIds?: readonly Uint8Array[]; ttlSeconds?: number }) {
    const subscription = this.#live(name);
    if (hashedIds) {
      const ids = distinctIds(hashedIds);
      this.#checkRoom(subscription.client, ids.length, subscription.ids.length);
      this.#unwatch(subscription);
      this.#watch(subscription, ids);
    }
    subscription.expiresAt = this.#expiry(ttlSeconds);
    return this.#info(subscription);
  }

  /** Ends a subscription and closes its streams. */
  cancel(name: string): void {
    this.#end(this.#live(name), 'cancelled');
  }

  /**
   * A Server-Sent Events stream of the subscription's `reports` events; it ends with an `end`
   * event when the subscription expires or is cancelled.
   */
  events(name: string): ReadableStream<Uint8Array> {
    const subscription = this.#live(name);
    if (subscription.streams.size >= MAX_STREAMS_PER_SUBSCRIPTION) {
      throw new SubscriptionError(409, `at most ${MAX_STREAMS_PER_SUBSCRIPTION} streams per subscription`);
    }
    let controller: ReadableStreamDefaultController<Uint8Array>;
    return new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
          const heartbeat = setInterval(() => this.#send(subscription, c, ': keep-alive\n\n'), HEARTBEAT_MS);
          (heartbeat as { unref?: () => void }).unref?.();
          subscription.streams.set(c, heartbeat);
          // A comment for people reading the stream: a date, where bare seconds would contradict the API's ms.
          const until = new Date(subscription.expiresAt * 1000).toISOString();
          c.enqueue(encoder.encode(`retry: 2000\n: subscribed until ${until}\n\n`));
        },
        cancel: () => dropStream(subscription, controller),
      },
      { highWaterMark: MAX_STREAM_BACKLOG_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  /**
   * Offers the reports an upload stored at `receivedAt` (Unix seconds); those of watched ids
   * go to their subscriptions (coalesced: see {@link COALESCE_MS}). Costs one prefix lookup per
   * report when nothing matches.
   */
  publish(reports: readonly ObservedReport[], receivedAt: number): void {
    if (this.#prefixes.size === 0) return;
    for (const report of reports) {
      if (!this.#prefixes.has(prefixOf(report.hashedId))) continue;
      const watchers = this.#watchers.get(bytesToHex(report.hashedId));
      if (!watchers) continue;
      const seal = sealKey(report);
      for (const subscription of watchers) {
        if (subscription.delivered.has(seal)) continue;
        if (subscription.delivered.size >= REMEMBERED_SEALS) subscription.delivered.clear();
        subscription.delivered.add(seal);
        subscription.pending.push({ ...report, receivedAt });
        if (subscription.pending.length >= MAX_REPORTS_PER_EVENT) this.#flush(subscription);
        // The first report after a quiet spell goes out at once; what follows within
        // COALESCE_MS of an event waits for the next one.
        else
          subscription.flushTimer ??= setTimeout(
            () => this.#flush(subscription),
            Math.max(0, subscription.lastFlushAt + COALESCE_MS - performance.now()),
          );
      }
    }
  }

  /** Subscriptions open now. */
  get size(): number {
    return this.#subscriptions.size;
  }

  /** Ids all subscriptions watch now, counted once per subscription. */
  get watchedIds(): number {
    return this.#watchedIds;
  }

  /** Ends every subscription (server shutdown). */
  close(): void {
    for (const subscription of [...this.#subscriptions.values()]) this.#end(subscription, 'server closing');
    clearInterval(this.#sweep);
  }

  #flush(subscription: Subscription): void {
    clearTimeout(subscription.flushTimer);
    subscription.flushTimer = undefined;
    const reports = subscription.pending;
    if (reports.length === 0) return;
    subscription.pending = [];
    subscription.lastFlushAt = performance.now();
    const data = JSON.stringify({
      reports: reports.map((r) => ({
        id: bytesToBase64(r.hashedId),
        payload: bytesToBase64(r.payload),
        timestamp: r.timestamp * 1000,
        receivedAt: r.receivedAt * 1000,
      })),
    });
    subscription.sequence++;
    for (const stream of subscription.streams.keys()) {
      this.#send(subscription, stream, `id: ${subscription.sequence}\nevent: reports\ndata: ${data}\n\n`);
    }
    if (subscription.webhook) this.#webhooks!.deliver(subscription.webhook, data, subscription.name);
  }

  #send(subscription: Subscription, stream: ReadableStreamDefaultController<Uint8Array>, text: string): void {
    try {
      if ((stream.desiredSize ?? 0) <= 0) {
        // The reader has stopped reading: end its stream rather than hold its backlog.
        dropStream(subscription, stream);
        stream.error(new Error('the event stream fell too far behind'));
        return;
      }
      stream.enqueue(encoder.encode(text));
    } catch {
      dropStream(subscription, stream);
    }
  }

  #live(name: string): Subscription {
    const subscription = this.#subscriptions.get(name);
    if (!subscription || subscription.expiresAt * 1000 <= this.#clock()) {
      throw new SubscriptionError(404, 'no such subscription: it expired, was cancelled, or the server restarted');
    }
    return subscription;
  }

  #expiry(ttlSeconds = DEFAULT_SUBSCRIPTION_SECONDS): number {
    return Math.floor(this.#clock() / 1000) + ttlSeconds;
  }

  #info(subscription: Subscription): SubscriptionInfo {
    return { subscription: subscription.name, expiresAt: subscription.expiresAt, ids: subscription.ids.length };
  }

  /** Refuses (429) ids past the client's or the hub's share, counting `replaced` ids as freed. */
  #checkRoom(client: string, ids: number, replaced: number): void {
    const watched = (this.#perClient.get(client)?.ids ?? 0) - replaced;
    if (watched + ids > MAX_WATCHED_IDS_PER_CLIENT) {
      throw new SubscriptionError(
        429,
        `a client's subscriptions watch at most ${MAX_WATCHED_IDS_PER_CLIENT} ids together; this one would make ${watched + ids}`,
      );
    }
    if (this.#watchedIds - replaced + ids > MAX_WATCHED_IDS) {
      throw new SubscriptionError(429, 'the server watches as many ids as it takes; try later');
    }
  }

  /** Watches `ids` (distinct, hex) for the subscription. */
  #watch(subscription: Subscription, ids: string[]): void {
    subscription.ids = ids;
    this.#watchedIds += subscription.ids.length;
    this.#perClient.get(subscription.client)!.ids += subscription.ids.length;
    for (const id of subscription.ids) {
      const watchers = this.#watchers.get(id);
      if (watchers) watchers.add(subscription);
      else this.#watchers.set(id, new Set([subscription]));
      const prefix = Number.parseInt(id.slice(0, 8), 16);
      this.#prefixes.set(prefix, (this.#prefixes.get(prefix) ?? 0) + 1);
    }
  }

  #unwatch(subscription: Subscription): void {
    for (const id of subscription.ids) {
      const watchers = this.#watchers.get(id)!;
      watchers.delete(subscription);
      if (watchers.size === 0) this.#watchers.delete(id);
      const prefix = Number.parseInt(id.slice(0, 8), 16);
      const left = this.#prefixes.get(prefix)! - 1;
      if (left === 0) this.#prefixes.delete(prefix);
      else this.#prefixes.set(prefix, left);
    }
    this.#watchedIds -= subscription.ids.length;
    this.#perClient.get(subscription.client)!.ids -= subscription.ids.length;
    subscription.ids = [];
  }

  #end(subscription: Subscription, reason: string): void {
    this.#flush(subscription);
    this.#unwatch(subscription);
    this.#subscriptions.delete(subscription.name);
    const counts = this.#perClient.get(subscription.client)!;
    if (--counts.subscriptions === 0) this.#perClient.delete(subscription.client);
    for (const stream of [...subscription.streams.keys()]) {
      dropStream(subscription, stream);
      try {
        stream.enqueue(encoder.encode(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`));
        stream.close();
      } catch {
        // Its reader is gone already.
      }
    }
    if (this.#subscriptions.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** Expired subscriptions end within a second of their time. */
  #startSweep(): void {
    if (this.#sweep) return;
    this.#sweep = setInterval(() => {
      const now = this.#clock();
      for (const subscription of [...this.#subscriptions.values()]) {
        if (subscription.expiresAt * 1000 <= now) this.#end(subscription, 'expired');
      }
    }, 1000);
    (this.#sweep as { unref?: () => void }).unref?.();
  }
}
