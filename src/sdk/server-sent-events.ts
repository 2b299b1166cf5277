/** Server-Sent Events as the subscription routes send them: `event:` and `data:` lines, blank-line separated. */

export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * The whole events at the start of `buffer`, and what is left of it (an event still arriving).
 * Comment lines (keep-alives) and fields other than event and data are skipped.
 * @example const { events, rest } = takeEvents(buffer + decoder.decode(chunk, { stream: true }));
 */
export function takeEvents(buffer: string): { events: ServerSentEvent[]; rest: string } {
  const events: ServerSentEvent[] = [];
  let rest = buffer;
  for (let end = rest.indexOf('\n\n'); end !== -1; end = rest.indexOf('\n\n')) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}
