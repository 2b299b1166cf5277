/**
 * Which of its owner's commands a phone takes, by sequence number (docs/protocol.md §17): a
 * sliding window like IPsec's anti-replay window. The owner's tools number commands 1, 2, 3…
 * (a counter, never a clock), so nothing a clock does can block later commands; the phone takes
 * each number once, in any order within the window, and refuses a number too far ahead of the
 * highest it took, so a corrupt counter cannot leap it past every later command either.
 */

/** Numbers this far below the highest taken are still taken, once each, if they arrive late. */
export const SEQUENCE_WINDOW = 64;
/** A number more than this above the highest taken is refused (the phone answers with its `next`). */
export const MAX_SEQUENCE_JUMP = 1024;

/** The highest number taken, and those taken within the window below it. */
export interface SequenceWindow {
  readonly highest: number;
  readonly taken: readonly number[];
}

export const EMPTY_WINDOW: SequenceWindow = { highest: 0, taken: [] };

/**
 * Why `seq` must not be taken, or undefined when it may.
 * @example sequenceRefusal(5, { highest: 4, taken: [4] }) // undefined
 */
export function sequenceRefusal(seq: number, window: SequenceWindow): string | undefined {
  if (!Number.isSafeInteger(seq) || seq < 1) return 'malformed: the sequence number is not a positive integer';
  if (seq > window.highest + MAX_SEQUENCE_JUMP)
    return `too far ahead: sequence ${seq} is more than ${MAX_SEQUENCE_JUMP} after ${window.highest}`;
  if (seq <= window.highest - SEQUENCE_WINDOW) return `too old: sequence ${seq} is below the window`;
  if (window.taken.includes(seq)) return `replayed: sequence ${seq} was already taken`;
  return undefined;
}

/** The window once `seq` (which sequenceRefusal let through) is taken. */
export function take(seq: number, window: SequenceWindow): SequenceWindow {
  const highest = Math.max(seq, window.highest);
  return { highest, taken: [...window.taken, seq].filter((n) => n > highest - SEQUENCE_WINDOW).sort((a, b) => a - b) };
}

/** The number the owner's next command should carry, as far as this phone knows. */
export function nextOf(window: SequenceWindow): number {
  return window.highest + 1;
}
