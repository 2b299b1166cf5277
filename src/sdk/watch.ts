/**
 * The owner's live watch: subscribe to the ids a device may broadcast now, receive each new
 * report as a Server-Sent Event, decrypt it here, and keep the subscription current as rolling
 * keys advance (renewing it with the next window's ids before it expires). A subscription the
 * server lost (it restarted, or the subscription expired) is opened again.
 */
import { base64ToBytes, type P224Engine } from '../../crypto/index.ts';
import { MAX_SUBSCRIPTION_IDS } from '../contract/limits.ts';
import { causeOf, request, serverUrl, ServerError, type HttpOptions } from './http.ts';
import type { Device } from './key-files.ts';
import {
  candidateKeysOf,
  fetchReports,
  openLocated,
  sealOf,
  type FetchedReport,
  type LocatedReport,
  type OwnedKey,
  type ReportJson,
} from './owner.ts';
import { sdkP224 } from './p224.ts';
import { takeEvents } from './server-sent-events.ts';

/** How far around now the watched keys reach: a finder uploads a sighting some minutes late. */
const KEY_MARGIN_MS = 30 * 60_000;
/** Subscriptions last this long; they are renewed at half of it. */
const SUBSCRIPTION_SECONDS = 1800;
/** The first wait before subscribing again; each failure in a row doubles it, up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 500;
/** The longest wait between attempts: a server that is back is noticed within this. */
const MAX_BACKOFF_MS = 30_000;
/**
 * How far before the last report seen a catch-up looks at what the server received: its times
 * are whole seconds, and uploads that overlap may be announced a little out of order.
 */
const RECEIVED_SLACK_MS = 5000;

export interface WatchOptions extends HttpOptions {
  readonly server: string;
  readonly engine?: P224Engine;
  /** Decrypted reports of one event, newest last. */
  readonly onReports: (reports: LocatedReport[]) => void | Promise<void>;
  /** One line about the watch itself (subscribed, renewed, reconnecting). */
  readonly onStatus?: (line: string) => void;
  /** Each time the event stream is open: every report uploaded from then on reaches `onReports`. */
  readonly onListening?: () => void;
  /** Ends the watch. */
  readonly signal?: AbortSignal;
  /** Unix ms (tests move it). */
  readonly clock?: () => number;
  /** Also deliver to this webhook (the server signs each delivery with the secret). */
  readonly webhook?: { readonly url: string; readonly secret: string };
}

type Subscription = { subscription: string; expiresAt: number; events: string };

/** A failure that may pass (the server restarts, or is unreachable for a while): the watch tries again. */
const mayPass = (error: unknown) =>
  error instanceof ServerError && (error.status === undefined || error.status === 429 || error.status >= 500);

/**
 * Runs until `signal` aborts. When the server goes away it subscribes again, waiting longer
 * after each failure in a row (with jitter, so that many watchers do not return at once), and
 * once subscribed it fetches what the server received meanwhile, so no report is lost or shown twice.
 * @example await watch(devices, { server, onReports: (r) => console.log(r), signal })
 */
export async function watch(devices: readonly Device[], options: WatchOptions): Promise<void> {
  const engine = options.engine ?? (await sdkP224());
  const clock = options.clock ?? Date.now;
  const delivery = new Delivery(devices, engine, options.onReports);
  let failures = 0;
  while (!options.signal?.aborted) {
    let wait = backoff(0);
    try {
      await subscribeOnce(devices, options, clock, delivery, () => (failures = 0));
      if (options.signal?.aborted) return;
      options.onStatus?.('the event stream ended; subscribing again');
    } catch (error) {
      if (options.signal?.aborted) return;
      if (!mayPass(error)) throw error;
      wait = backoff(++failures);
      options.onStatus?.(`${(error as Error).message}; trying again in ${(wait / 1000).toFixed(1)} s`);
    }
    await pause(wait, options.signal);
  }
}

/** The wait after `failures` failures in a row: doubling from {@link FIRST_BACKOFF_MS}, capped, then between half and all of it. */
function backoff(failures: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, failures - 1));
  return ceiling * (0.5 + Math.random() / 2);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/**
 * One subscription: opened, its stream read, renewed as keys advance, until the stream ends.
 * Once the stream is open, what the server received since the last report seen is fetched.
 */
async function subscribeOnce(
  devices: readonly Device[],
  options: WatchOptions,
  clock: () => number,
  delivery: Delivery,
  onOpen: () => void,
): Promise<void> {
  const json = (body: unknown) => ({ body: JSON.stringify(body), contentType: 'application/json' });
  // The watch waits and tries again itself, and says so.
  const once = { ...options, retries: 0 };
  const idsFrom = (from: number, capped = true) =>
    delivery.idsBetween(from, clock() + SUBSCRIPTION_SECONDS * 1000 + KEY_MARGIN_MS, capped);
  const subscription = (await request(
    options.server,
    '/v1/subscriptions',
    {
      method: 'POST',
      ...json({
        ids: idsFrom(clock() - KEY_MARGIN_MS),
        ttlSeconds: SUBSCRIPTION_SECONDS,
        ...(options.webhook ? { webhook: options.webhook } : {}),
      }),
    },
    once,
  )) as Subscription;
  // The server's own time of subscribing: reports it received from then on are new.
  const subscribedAt = subscription.expiresAt - SUBSCRIPTION_SECONDS * 1000;
  const renew = async () => {
    try {
      const ids = idsFrom(clock() - KEY_MARGIN_MS);
      await request(
        options.server,
        `/v1/subscriptions/${subscription.subscription}`,
        { method: 'PUT', ...json({ ids, ttlSeconds: SUBSCRIPTION_SECONDS }) },
        options,
      );
      options.onStatus?.('subscription renewed with the keys in use now');
    } catch (error) {
      // Said, never thrown from a timer: the stream goes on, and the next renewal tries again.
      options.onStatus?.(`renewal failed: ${(error as Error).message}`);
    }
  };
  const renewal = setInterval(() => void renew(), (SUBSCRIPTION_SECONDS * 1000) / 2);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  try {
    const stream = await openEvents(serverUrl(options.server) + subscription.events, { ...options, signal });
    onOpen();
    options.onStatus?.(`watching ${delivery.keys} keys of ${devices.length} device(s)`);
    options.onListening?.();
    // A catch-up that fails ends the stream too: the next subscription catches up again.
    let catchUpFailed: { error: unknown } | undefined;
    const caughtUp = delivery
      // Until the later of both clocks: a client whose clock is behind the server's still asks
      // for everything the server has received since it subscribed.
      .catchUp(subscribedAt, idsFrom, { ...once, until: new Date(Math.max(clock(), subscribedAt) + KEY_MARGIN_MS) })
      .catch((error: unknown) => {
        catchUpFailed = { error };
        stop.abort();
      });
    await readEvents(stream, signal, options.onStatus, (data) => delivery.streamed(data));
    await caughtUp;
    if (catchUpFailed) throw catchUpFailed.error;
  } finally {
    clearInterval(renewal);
    // Ended here, whether the watch stops or subscribes again: a subscription left behind would
    // count against this client's subscriptions and watched ids until it expired.
    await request(options.server, `/v1/subscriptions/${subscription.subscription}`, { method: 'DELETE' }, once).catch(
      () => {},
    );
  }
}

/**
 * Hands each sealed report to the owner once, decrypted, whether it came in an event or in a
 * catch-up, and remembers how far the watch has seen what the server received.
 */
class Delivery {
  /** Every key watched so far, by hashed id, for decryption. */
  readonly #known = new Map<string, OwnedKey>();
  /** Seals handed over, with when the server received them (Unix ms), back to {@link #seenUntil} less the slack. */
  readonly #seals = new Map<string, number>();
  /** The server's time (Unix ms) of the first subscription: reports received before it are not new. */
  #from: number | undefined;
  /** The server's time (Unix ms) up to which every report received has been handed over. */
  #seenUntil: number | undefined;
  #handing: Promise<void> = Promise.resolve();

  constructor(
    private readonly devices: readonly Device[],
    private readonly engine: P224Engine,
    private readonly onReports: WatchOptions['onReports'],
  ) {}

  get keys(): number {
    return this.#known.size;
  }

  /**
   * The ids the devices may broadcast between the two times (Unix ms); their keys are remembered.
   * `capped`: no more than a subscription takes (a catch-up asks in parts, so it has no cap).
   */
  idsBetween(from: number, until: number, capped: boolean): string[] {
    const ids = candidateKeysOf(this.devices, new Date(from), new Date(until), this.engine);
    if (capped && ids.size > MAX_SUBSCRIPTION_IDS)
      throw new Error(`${ids.size} keys to watch at once; a subscription takes ${MAX_SUBSCRIPTION_IDS}`);
    for (const [id, owned] of ids) this.#known.set(id, owned);
    return [...ids.keys()];
  }

  /** A `reports` event's data. */
  streamed(data: string): Promise<void> {
    const { reports } = JSON.parse(data) as { reports: ReportJson[] };
    return this.#hand(reports.map((r) => ({ id: r.id, payload: base64ToBytes(r.payload), receivedAt: r.receivedAt })));
  }

  /**
   * What the server received since the last report seen (less the slack; on the first
   * subscription, since it was made at `subscribedAt`, Unix ms), for the keys of that time on;
   * the copies already handed over are left out.
   */
  async catchUp(
    subscribedAt: number,
    idsFrom: (from: number, capped: boolean) => string[],
    options: HttpOptions & { readonly server: string; readonly until: Date },
  ): Promise<void> {
    this.#from ??= subscribedAt;
    const since = Math.max(this.#from, (this.#seenUntil ?? this.#from) - RECEIVED_SLACK_MS);
    const fetched = await fetchReports(idsFrom(since - KEY_MARGIN_MS, false), {
      ...options,
      since: new Date(since - KEY_MARGIN_MS),
    });
    await this.#hand(fetched.filter((report) => report.receivedAt >= since));
    // The stream has been open since before the query: whatever came after it comes that way.
    this.#seenUntil = Math.max(this.#seenUntil ?? -Infinity, subscribedAt);
  }

  #hand(reports: readonly FetchedReport[]): Promise<void> {
    const located: LocatedReport[] = [];
    for (const report of reports) {
      const seal = sealOf(report.id, report.payload);
      const owner = this.#known.get(report.id);
      if (seal === undefined || owner === undefined || this.#seals.has(seal)) continue;
      this.#seals.set(seal, report.receivedAt);
      this.#seenUntil = Math.max(this.#seenUntil ?? -Infinity, report.receivedAt);
      located.push(...openLocated([report.payload], owner.key, owner.device, this.engine));
    }
    for (const [seal, receivedAt] of this.#seals)
      if (receivedAt < this.#seenUntil! - RECEIVED_SLACK_MS) this.#seals.delete(seal);
    // One hand-over at a time, in order, whichever path the reports came by.
    this.#handing = this.#handing.then(() => (located.length > 0 ? this.onReports(located) : undefined));
    return this.#handing;
  }
}

/** Opens an event stream; a failure to reach the server is one that may pass. */
async function openEvents(url: string, options: HttpOptions & { signal: AbortSignal }): Promise<Response> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { accept: 'text/event-stream' },
      signal: options.signal,
    });
  } catch (error) {
    throw new ServerError(`cannot open the event stream: ${causeOf(error as Error)}`);
  }
  // A subscription the server no longer knows (it restarted in between) is opened again.
  if (response.status === 404) throw new ServerError('the subscription is gone from the server');
  if (!response.ok || !response.body)
    throw new ServerError(`the event stream answered ${response.status}`, response.status);
  return response;
}

/** Reads a Server-Sent Events stream, calling `onReports` for each `reports` event, until it ends. */
async function readEvents(
  response: Response,
  signal: AbortSignal,
  onStatus: WatchOptions['onStatus'],
  onReports: (data: string) => Promise<void>,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const { events, rest } = takeEvents(buffer + decoder.decode(chunk, { stream: true }));
      buffer = rest;
      for (const { event, data } of events) {
        if (event === 'reports') await onReports(data);
        if (event === 'end') return;
      }
    }
  } catch (error) {
    if (!signal.aborted) onStatus?.(`the event stream broke: ${(error as Error).message}`);
  }
}
