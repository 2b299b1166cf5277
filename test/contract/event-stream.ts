/** Reads Server-Sent Events from a response body, as an owner's client does. */

export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

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
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) ready.push({ event, data: data.join('\n') });
    }
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
