/**
 * Notify-when-found and mailbox long-polls on Workers: one Durable Object holds the subscription
 * hub, its event streams, its webhook retries and the parked mailbox reads, because every isolate that takes an upload must reach the same
 * subscriptions. The Worker talks to it through {@link durableNotifier}: RPC for the calls, a
 * fetch for the event stream. Subscriptions live in the object's memory, as they do in the Node
 * process: a restart ends them, and clients subscribe again (their stream's 404 says so).
 */
import { DurableObject } from 'cloudflare:workers';
import { SubscriptionError, SubscriptionHub, type SubscribeOptions, type SubscriptionInfo } from '../../notify/hub.ts';
import { MailWaiters } from '../../notify/mail-waiters.ts';
import type { Notifier } from '../../notify/notifier.ts';
import { RetryingWebhookSender, WEBHOOK_TIMEOUT_MS } from '../../notify/webhook.ts';
import { configFromEnv, type Environment } from '../../rules/config.ts';
import type { ObservedReport } from '../../storage/store.ts';
import { webhookTarget } from '../../notify/webhook-target.ts';

/** The one hub object's name: all subscriptions meet in it. */
const HUB_NAME = 'subscriptions';

/** A hub answer over RPC: the hub's refusals do not keep their class across it. */
type Answer<T> = { ok: T } | { refused: { status: 404 | 409 | 429; message: string } };

async function answered<T>(work: () => T | Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: await work() };
  } catch (error) {
    if (error instanceof SubscriptionError) return { refused: { status: error.status, message: error.message } };
    throw error;
  }
}

function unwrap<T>(answer: Answer<T>): T {
  if ('refused' in answer) throw new SubscriptionError(answer.refused.status, answer.refused.message);
  return answer.ok;
}

/** The Durable Object class (bound as SUBSCRIPTIONS in wrangler.toml). */
export class SubscriptionHubObject extends DurableObject {
  readonly #hub: SubscriptionHub;
  readonly #waiters = new MailWaiters();

  constructor(state: DurableObjectState, env: Environment) {
    super(state, env);
    const allowPrivate = configFromEnv(env).webhookAllowPrivate;
    this.#hub = new SubscriptionHub({
      webhooks: new RetryingWebhookSender({
        log: console.log,
        send: async (url, body, headers) => {
          // Names are checked again here; Cloudflare's fetch cannot reach private networks in any case.
          webhookTarget(url, allowPrivate);
          const response = await fetch(url, {
            method: 'POST',
            body,
            headers,
            redirect: 'manual',
            signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          });
          await response.body?.cancel();
          return response.status;
        },
      }),
    });
  }

  subscribe(options: SubscribeOptions): Promise<Answer<SubscriptionInfo>> {
    return answered(() => this.#hub.subscribe(options));
  }

  renew(name: string, options: { hashedIds?: Uint8Array[]; ttlSeconds?: number }) {
    return answered(() => this.#hub.renew(name, options));
  }

  cancel(name: string): Promise<Answer<void>> {
    return answered(() => this.#hub.cancel(name));
  }

  publish(reports: ObservedReport[], receivedAt: number): void {
    this.#hub.publish(reports, receivedAt);
  }

  waitForMail(mailbox: string, ms: number): Promise<void> {
    return this.#waiters.wait(mailbox, ms);
  }

  mailArrived(mailbox: string): void {
    this.#waiters.wake(mailbox);
  }

  /** The event stream of the subscription named in the path's last segment. */
  override async fetch(request: Request): Promise<Response> {
    const name = new URL(request.url).pathname.split('/').pop()!;
    const answer = await answered(() => this.#hub.events(name));
    if ('refused' in answer) return Response.json(answer.refused, { status: answer.refused.status });
    return new Response(answer.ok, { headers: { 'content-type': 'text/event-stream' } });
  }
}

/**
 * The hub object as the app's {@link Notifier}.
 * @example createApp({ store, notices, notifier: durableNotifier(env.SUBSCRIPTIONS), config })
 */
export function durableNotifier(namespace: DurableObjectNamespace<SubscriptionHubObject>): Notifier {
  const hub = () => namespace.get(namespace.idFromName(HUB_NAME));
  return {
    subscribe: async (options) => unwrap(await hub().subscribe({ ...options, hashedIds: [...options.hashedIds] })),
    renew: async (name, { hashedIds, ttlSeconds }) =>
      unwrap(
        await hub().renew(name, {
          ...(hashedIds ? { hashedIds: [...hashedIds] } : {}),
          ...(ttlSeconds ? { ttlSeconds } : {}),
        }),
      ),
    cancel: async (name) => unwrap(await hub().cancel(name)),
    events: async (name) => {
      const response = await hub().fetch(`https://hub/events/${name}`);
      if (!response.ok) {
        const refused = (await response.json()) as { status: 404 | 409 | 429; message: string };
        throw new SubscriptionError(refused.status, refused.message);
      }
      return response.body!;
    },
    publish: async (reports, receivedAt) => {
      await hub().publish([...reports], receivedAt);
    },
    waitForMail: async (mailbox, ms) => {
      await hub().waitForMail(mailbox, ms);
    },
    mailArrived: async (mailbox) => {
      await hub().mailArrived(mailbox);
    },
  };
}
