/** Reads Server-Sent Events from a response body one at a time, with a timeout, for tests. */
import { takeEvents, type ServerSentEvent } from '../../src/sdk/server-sent-events.ts';

/**
 * @example const events = eventReader(response); const first = await events.next(1000);
 */
export function eventReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const ready: ServerSentEvent[] = [];
  // A read that outlives a timeout is kept for the next call, so that no chunk is lost.
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  const parse = () => {
    const { events, rest } = takeEvents(buffer);
    ready.push(...events);
    buffer = rest;
  };
  return {
    /** The next event, or undefined when none arrives within `timeoutMs` or the stream ends. */
    async next(timeoutMs: number): Promise<ServerSentEvent | undefined> {
      const deadline = Date.now() + timeoutMs;
      while (ready.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        let timer: ReturnType<typeof setTimeout> | undefined;
        pending ??= reader.read();
        const chunk = await Promise.race([
          pending,
          new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left))),
        ]);
        clearTimeout(timer);
        if (chunk === 'timeout') return undefined;
        pending = undefined;
        if (chunk.done) return ready.shift();
        buffer += decoder.decode(chunk.value, { stream: true });
        parse();
      }
      return ready.shift();
    },
    close: () => reader.cancel().catch(() => {}),
  };
}
