/**
 * The owner's live watch: subscribe to the ids a device may broadcast now, receive each new
 * report as a Server-Sent Event, decrypt it here, and keep the subscription current as rolling
 * keys advance (renewing it with the next window's ids before it expires). A subscription the
 * server lost (it restarted, or the subscription expired) is opened again.
 */
import { base64ToBytes, type P224Engine } from '../../crypto/index.ts';
import { MAX_SUBSCRIPTION_IDS } from '../contract/limits.ts';
import { request, serverUrl, ServerError, type HttpOptions } from './http.ts';
import type { Device } from './key-files.ts';
import { candidateKeysOf, openLocated, type LocatedReport, type OwnedKey } from './owner.ts';
import { sdkP224 } from './p224.ts';
import { takeEvents } from './server-sent-events.ts';

/** How far around now the watched keys reach: a finder uploads a sighting some minutes late. */
const KEY_MARGIN_MS = 30 * 60_000;
/** Subscriptions last this long; they are renewed at half of it. */
const SUBSCRIPTION_SECONDS = 1800;
/** Wait before opening a lost subscription again. */
const RECONNECT_MS = 1000;

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

/**
 * Runs until `signal` aborts.
 * @example await watch(devices, { server, onReports: (r) => console.log(r), signal })
 */
export async function watch(devices: readonly Device[], options: WatchOptions): Promise<void> {
  const engine = options.engine ?? (await sdkP224());
  const clock = options.clock ?? Date.now;
  const known = new Map<string, OwnedKey>();
  /** The ids to watch now; the keys they belong to are remembered for decryption. */
  const currentIds = () => {
    const from = new Date(clock() - KEY_MARGIN_MS);
    const until = new Date(clock() + SUBSCRIPTION_SECONDS * 1000 + KEY_MARGIN_MS);
    const ids = candidateKeysOf(devices, from, until, engine);
    for (const [id, owned] of ids) known.set(id, owned);
    if (ids.size > MAX_SUBSCRIPTION_IDS)
      throw new ServerError(`${ids.size} keys to watch at once; a subscription takes ${MAX_SUBSCRIPTION_IDS}`);
    return [...ids.keys()];
  };
  const json = (body: unknown) => ({ body: JSON.stringify(body), contentType: 'application/json' });

  while (!options.signal?.aborted) {
    const subscription = (await request(
      options.server,
      '/v1/subscriptions',
      {
        method: 'POST',
        ...json({
          ids: currentIds(),
          ttlSeconds: SUBSCRIPTION_SECONDS,
          ...(options.webhook ? { webhook: options.webhook } : {}),
        }),
      },
      options,
    )) as Subscription;
    const listening = () => {
      options.onStatus?.(`watching ${known.size} keys of ${devices.length} device(s)`);
      options.onListening?.();
    };
    const renewal = setInterval(
      () =>
        void request(
          options.server,
          `/v1/subscriptions/${subscription.subscription}`,
          { method: 'PUT', ...json({ ids: currentIds(), ttlSeconds: SUBSCRIPTION_SECONDS }) },
          options,
        ).then(
          () => options.onStatus?.('subscription renewed with the keys in use now'),
          (error: Error) => options.onStatus?.(`renewal failed: ${error.message}`),
        ),
      (SUBSCRIPTION_SECONDS * 1000) / 2,
    );
    try {
      await readEvents(serverUrl(options.server) + subscription.events, options, listening, async (data) => {
        const { reports } = JSON.parse(data) as { reports: Array<{ id: string; payload: string }> };
        const located: LocatedReport[] = [];
        for (const { id, payload } of reports) {
          const owner = known.get(id);
          if (owner) located.push(...openLocated([base64ToBytes(payload)], owner.key, owner.device, engine));
        }
        if (located.length > 0) await options.onReports(located);
      });
    } finally {
      clearInterval(renewal);
    }
    if (options.signal?.aborted) {
      await request(
        options.server,
        `/v1/subscriptions/${subscription.subscription}`,
        { method: 'DELETE' },
        options,
      ).catch(() => {});
      return;
    }
    options.onStatus?.('the event stream ended; subscribing again');
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

/**
 * Reads a Server-Sent Events stream, calling `onOpen` once it is open (the server sends its
 * headers once the stream is registered) and `onReports` for each `reports` event, until it ends.
 */
async function readEvents(
  url: string,
  options: WatchOptions,
  onOpen: () => void,
  onReports: (data: string) => Promise<void>,
): Promise<void> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { accept: 'text/event-stream' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) return;
    throw new ServerError(`cannot open the event stream: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) return;
  onOpen();
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
    if (!options.signal?.aborted) options.onStatus?.(`the event stream broke: ${(error as Error).message}`);
  }
}
