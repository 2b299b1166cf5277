/**
 * What the HTTP app asks of notify-when-found and of mailbox long-polls. On Node it is a {@link SubscriptionHub} in the
 * server process (localNotifier); on Workers every call goes to the one Durable Object that holds
 * the hub and its streams (runtime/workers/subscription-hub.ts).
 */
import type { ObservedReport } from '../storage/store.ts';
import type { SubscribeOptions, SubscriptionHub, SubscriptionInfo } from './hub.ts';
import { MailWaiters } from './mail-waiters.ts';

export interface Notifier {
  subscribe(options: SubscribeOptions): Promise<SubscriptionInfo>;
  renew(name: string, options: { hashedIds?: readonly Uint8Array[]; ttlSeconds?: number }): Promise<SubscriptionInfo>;
  cancel(name: string): Promise<void>;
  events(name: string): Promise<ReadableStream<Uint8Array>>;
  /** Offers the reports an upload stored at `receivedAt` (Unix seconds); returns once they are handed over. */
  publish(reports: readonly ObservedReport[], receivedAt: number): Promise<void>;
  /** Resolves when a message is posted to the mailbox (hex id), or after `ms`. */
  waitForMail(mailbox: string, ms: number): Promise<void>;
  /** Tells reads waiting on the mailbox (hex id) that a message arrived. */
  mailArrived(mailbox: string): Promise<void>;
}

/**
 * A hub in this process as a {@link Notifier}.
 * @example createApp({ store, notices, notifier: localNotifier(new SubscriptionHub()), config })
 */
export function localNotifier(hub: SubscriptionHub, waiters = new MailWaiters()): Notifier {
  return {
    waitForMail: (mailbox, ms) => waiters.wait(mailbox, ms),
    mailArrived: async (mailbox) => waiters.wake(mailbox),
    subscribe: async (options) => hub.subscribe(options),
    renew: async (name, options) => hub.renew(name, options),
    cancel: async (name) => hub.cancel(name),
    events: async (name) => hub.events(name),
    publish: async (reports, receivedAt) => hub.publish(reports, receivedAt),
  };
}
