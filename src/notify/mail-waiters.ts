/**
 * Long-poll wake-ups for mailboxes: a read that found nothing waits here until a post to its
 * mailbox (or its timeout), so that a waiting device costs the server a parked promise, not a
 * query a second. Runtime-free: the Node process holds one, the Worker's Durable Object another.
 */

/** Reads parked at once, across all mailboxes; past it a read answers at once, empty. */
const MAX_WAITING = 50_000;

/** @example await waiters.wait(idHex, 25_000); … waiters.wake(idHex) */
export class MailWaiters {
  readonly #waiting = new Map<string, Set<() => void>>();
  #count = 0;

  /** Resolves when `mailbox` gets a post, after `ms`, or at once when too many already wait. */
  wait(mailbox: string, ms: number): Promise<void> {
    if (this.#count >= MAX_WAITING || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const set = this.#waiting.get(mailbox);
        if (set?.delete(done)) this.#count--;
        if (set?.size === 0) this.#waiting.delete(mailbox);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const set = this.#waiting.get(mailbox);
      if (set) set.add(done);
      else this.#waiting.set(mailbox, new Set([done]));
      this.#count++;
    });
  }

  /** Wakes every read waiting on `mailbox`. */
  wake(mailbox: string): void {
    for (const done of [...(this.#waiting.get(mailbox) ?? [])]) done();
  }

  /** Answers every parked read now (server shutdown). */
  releaseAll(): void {
    for (const mailbox of [...this.#waiting.keys()]) this.wake(mailbox);
  }
}
