/** Reads Server-Sent Events from a response body one at a time, for tests. */
import { takeEvents, type ServerSentEvent } from '../../src/sdk/server-sent-events.ts';

/**
 * Waits for events, never for a time: a test that expects none sends one it does expect after
 * it, and checks that one comes next.
 * @example const events = eventReader(response); const first = await events.next();
 */
export function eventReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ready: ServerSentEvent[] = [];
  return {
    /** The next event, or undefined when the stream ends first. */
    async next(): Promise<ServerSentEvent | undefined> {
      while (ready.length === 0) {
        const chunk = await reader.read();
        if (chunk.done) return undefined;
        buffer += decoder.decode(chunk.value, { stream: true });
        const { events, rest } = takeEvents(buffer);
        ready.push(...events);
        buffer = rest;
      }
      return ready.shift();
    },
    close: () => reader.cancel().catch(() => {}),
  };
}
