/**
 * Signed webhook deliveries with retries. The body is the event's JSON; the receiver checks
 * `Crowdfind-Signature: v1=<hex HMAC-SHA256(secret, timestamp "." body)>` against the secret it
 * chose at subscription, and `Crowdfind-Timestamp` against its clock, so that a delivery can be
 * neither forged nor replayed much later.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../../crypto/index.ts';

/** One POST to a webhook; resolves with the HTTP status, rejects when nothing answered. */
export type WebhookSend = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

/** Where a delivery goes. */
export interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

export interface WebhookSender {
  /**
   * Queues a delivery in its lane (one per subscription; by default its URL); failures are
   * retried and, at last, logged, never thrown at the caller.
   */
  deliver(target: WebhookTarget, body: string, lane?: string): void;
}

/** A receiver that has not answered by then counts as failed (and is retried). */
export const WEBHOOK_TIMEOUT_MS = 5000;
/** Attempts per delivery, and the wait before the second; each later wait doubles. */
const ATTEMPTS = 5;
const FIRST_RETRY_MS = 1000;
/**
 * Deliveries one lane holds besides the one it is sending: a receiver that is slow or gone
 * loses its own events past these, and takes nobody else's room.
 */
export const MAX_WAITING_PER_LANE = 32;
/** Deliveries held in all lanes at once; past it, the longest lane gives up its oldest. */
const MAX_HELD = 1000;
/** POSTs in flight at once; lanes take turns for them, one POST each at a time. */
const MAX_IN_FLIGHT = 64;

/**
 * The signature header's value for a body sent at `timestamp` (Unix seconds).
 * @example webhookSignature('s3cret-s3cret-s3cret', 1767225600, '{"reports":[]}') // 'v1=…'
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const encoder = new TextEncoder();
  return `v1=${bytesToHex(hmac(sha256, encoder.encode(secret), encoder.encode(`${timestamp}.${body}`)))}`;
}

interface Delivery {
  readonly target: WebhookTarget;
  readonly body: string;
  attempt: number;
}

/** One subscription's deliveries, sent in order, one at a time. */
interface Lane {
  readonly key: string;
  /** The delivery being sent or waiting to retry. */
  current: Delivery;
  readonly waiting: Delivery[];
}

/**
 * Deliveries in lanes: each lane sends one at a time, in order, and lanes take turns
 * (round-robin) for the POSTs in flight, so a receiver that never answers holds one POST of
 * {@link MAX_IN_FLIGHT} and its own {@link MAX_WAITING_PER_LANE} waiting deliveries, and
 * delays nobody else's events.
 * @example new RetryingWebhookSender({ send: guardedPost(allowPrivate), log: console.log })
 */
export class RetryingWebhookSender implements WebhookSender {
  readonly #send: WebhookSend;
  readonly #log: (line: string) => void;
  readonly #clock: () => number;
  readonly #firstRetryMs: number;
  readonly #lanes = new Map<string, Lane>();
  /** Lanes whose current delivery waits for a POST, in turn. */
  readonly #ready: Lane[] = [];
  #inFlight = 0;
  /** Deliveries held in all lanes, current and waiting. */
  #held = 0;

  constructor(options: {
    send: WebhookSend;
    log: (line: string) => void;
    clock?: () => number;
    /** Tests shorten it. */
    firstRetryMs?: number;
  }) {
    this.#send = options.send;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#firstRetryMs = options.firstRetryMs ?? FIRST_RETRY_MS;
  }

  deliver(target: WebhookTarget, body: string, key = target.url): void {
    const delivery: Delivery = { target, body, attempt: 1 };
    const lane = this.#lanes.get(key);
    if (lane && lane.waiting.length >= MAX_WAITING_PER_LANE) {
      this.#log(`webhook delivery dropped: its subscription has ${MAX_WAITING_PER_LANE} deliveries waiting`);
      return;
    }
    if (this.#held >= MAX_HELD && !this.#makeRoom(lane?.waiting.length ?? 0)) {
      this.#log('webhook delivery dropped: too many deliveries waiting');
      return;
    }
    this.#held++;
    if (lane) {
      lane.waiting.push(delivery);
      return;
    }
    const started: Lane = { key, current: delivery, waiting: [] };
    this.#lanes.set(key, started);
    this.#queue(started);
  }

  /** Drops the oldest waiting delivery of the longest lane, if it is longer than `waiting`. */
  #makeRoom(waiting: number): boolean {
    let longest: Lane | undefined;
    for (const lane of this.#lanes.values())
      if (lane.waiting.length > (longest?.waiting.length ?? waiting)) longest = lane;
    if (!longest) return false;
    longest.waiting.shift();
    this.#held--;
    this.#log('webhook delivery dropped: too many deliveries waiting, and its subscription had the most');
    return true;
  }

  #queue(lane: Lane): void {
    this.#ready.push(lane);
    this.#pump();
  }

  /** Gives free POSTs to the lanes whose turn it is. */
  #pump(): void {
    while (this.#inFlight < MAX_IN_FLIGHT && this.#ready.length > 0) {
      this.#inFlight++;
      void this.#attempt(this.#ready.shift()!);
    }
  }

  async #attempt(lane: Lane): Promise<void> {
    const delivery = lane.current;
    const failure = await this.#post(delivery);
    this.#inFlight--;
    if (failure !== undefined && delivery.attempt < ATTEMPTS) {
      // The lane keeps its place in order, but not a POST, while it waits to retry.
      const timer = setTimeout(() => this.#queue(lane), this.#firstRetryMs * 2 ** (delivery.attempt - 1));
      (timer as { unref?: () => void }).unref?.();
      delivery.attempt++;
    } else {
      // The URL is the owner's; the log says what failed, not where.
      if (failure !== undefined) this.#log(`webhook delivery failed after ${ATTEMPTS} attempts: ${failure}`);
      this.#held--;
      const next = lane.waiting.shift();
      if (next) {
        lane.current = next;
        this.#ready.push(lane);
      } else this.#lanes.delete(lane.key);
    }
    this.#pump();
  }

  /** One POST; undefined when the receiver took it, else what went wrong. */
  async #post({ target, body }: Delivery): Promise<string | undefined> {
    const timestamp = Math.floor(this.#clock() / 1000);
    try {
      const status = await this.#send(target.url, body, {
        'content-type': 'application/json',
        'crowdfind-timestamp': String(timestamp),
        'crowdfind-signature': webhookSignature(target.secret, timestamp, body),
      });
      return status >= 200 && status < 300 ? undefined : `answered ${status}`;
    } catch (error) {
      return (error as Error).message;
    }
  }
}
