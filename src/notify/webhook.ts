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

export interface WebhookSender {
  /** Queues a delivery; failures are retried and, at last, logged, never thrown at the caller. */
  deliver(target: { readonly url: string; readonly secret: string }, body: string): void;
}

/** A receiver that has not answered by then counts as failed (and is retried). */
export const WEBHOOK_TIMEOUT_MS = 5000;
/** Attempts per delivery, and the wait before the second; each later wait doubles. */
const ATTEMPTS = 5;
const FIRST_RETRY_MS = 1000;
/** Deliveries waiting or in flight at once; more are dropped, and the drop is logged. */
const MAX_QUEUED = 1000;

/**
 * The signature header's value for a body sent at `timestamp` (Unix seconds).
 * @example webhookSignature('s3cret-s3cret-s3cret', 1767225600, '{"reports":[]}') // 'v1=…'
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const encoder = new TextEncoder();
  return `v1=${bytesToHex(hmac(sha256, encoder.encode(secret), encoder.encode(`${timestamp}.${body}`)))}`;
}

/**
 * @example new RetryingWebhookSender({ send: guardedPost(allowPrivate), log: console.log })
 */
export class RetryingWebhookSender implements WebhookSender {
  readonly #send: WebhookSend;
  readonly #log: (line: string) => void;
  readonly #clock: () => number;
  readonly #firstRetryMs: number;
  #queued = 0;

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

  deliver(target: { readonly url: string; readonly secret: string }, body: string): void {
    if (this.#queued >= MAX_QUEUED) {
      this.#log('webhook delivery dropped: too many deliveries waiting');
      return;
    }
    this.#queued++;
    void this.#attempt(target, body, 1);
  }

  async #attempt(target: { readonly url: string; readonly secret: string }, body: string, attempt: number) {
    const timestamp = Math.floor(this.#clock() / 1000);
    let outcome: string;
    try {
      const status = await this.#send(target.url, body, {
        'content-type': 'application/json',
        'crowdfind-timestamp': String(timestamp),
        'crowdfind-signature': webhookSignature(target.secret, timestamp, body),
      });
      if (status >= 200 && status < 300) {
        this.#queued--;
        return;
      }
      outcome = `answered ${status}`;
    } catch (error) {
      outcome = (error as Error).message;
    }
    if (attempt >= ATTEMPTS) {
      this.#queued--;
      // The URL is the owner's; the log says what failed, not where.
      this.#log(`webhook delivery failed after ${ATTEMPTS} attempts: ${outcome}`);
      return;
    }
    const wait = this.#firstRetryMs * 2 ** (attempt - 1);
    const timer = setTimeout(() => void this.#attempt(target, body, attempt + 1), wait);
    (timer as { unref?: () => void }).unref?.();
  }
}
