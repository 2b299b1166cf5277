/**
 * Owner queries take their turn: at most `concurrency` run at once, the rest wait in order, and
 * past `waiting` waiting ones a query is refused (503, Retry-After) rather than queued without
 * end. An owner query's work comes in synchronous slices on the one thread that also commits
 * uploads and answers health, so while uploads are waiting, a turn that held the thread for a
 * while is followed by twice as long a pause before the next: owners get at most a third of it
 * then, and all of it when no finder is waiting.
 */
import type { MiddlewareHandler } from 'hono';
import { problemResponse } from '../../problem.ts';

/** How long the next turn waits per millisecond the last one held, while other work waits: owners get a third. */
const PAUSE_PER_HELD_MS = 2;

/**
 * @example app.use('/v1/reports/query', ownerQueue(queueGate(2, 64, () => uploads.active > 0)))
 */
export function ownerQueue(gate: QueueGate): MiddlewareHandler {
  return async (c, next) => {
    const turn = gate.enter();
    if (turn === undefined) {
      return problemResponse(503, 'too many owner queries are waiting; retry shortly', {
        headers: { 'retry-after': '1' },
      });
    }
    await turn;
    const start = performance.now();
    try {
      await next();
    } finally {
      gate.leave(performance.now() - start);
    }
  };
}

/** Turns for a bounded number of concurrent holders, with a bounded line of waiters. */
export interface QueueGate {
  /** A promise that resolves when it is the caller's turn, or undefined when the line is full. */
  enter(): Promise<void> | undefined;
  /** Ends the caller's turn, which lasted `heldMs`, giving it to the next in line. */
  leave(heldMs: number): void;
}

/**
 * One gate for all the routes it guards; `othersWaiting` tells whether other work (uploads)
 * waits for the thread, and then a turn's successor waits twice as long as that turn lasted.
 * @example const gate = queueGate(2, 64, () => uploadsInFlight > 0);
 */
export function queueGate(concurrency: number, waiting: number, othersWaiting: () => boolean = () => false): QueueGate {
  let running = 0;
  const line: Array<() => void> = [];
  const handOn = () => {
    const next = line.shift();
    if (next) next();
    else running--;
  };
  return {
    enter() {
      if (running < concurrency) {
        running++;
        return Promise.resolve();
      }
      if (line.length >= waiting) return undefined;
      return new Promise<void>((resolve) => line.push(resolve));
    },
    leave(heldMs) {
      if (othersWaiting() && heldMs >= 1) setTimeout(handOn, PAUSE_PER_HELD_MS * heldMs);
      else handOn();
    },
  };
}
