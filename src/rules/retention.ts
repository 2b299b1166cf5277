/**
 * The retention window, the one rule that decides which observation times a server holds:
 * reports observed in the last `retentionDays` days, up to a little ahead of now for finders
 * whose clocks run fast. Uploads outside it are refused, queries are clamped to it, pruning
 * removes what has left it. Times are Unix seconds.
 */

export const DAY_SECONDS = 86_400;
/** Finders' clocks drift; a report may claim to be this far in the future. */
export const MAX_CLOCK_SKEW_SECONDS = 10 * 60;

/** Observation times in [since, until], Unix seconds, inclusive. */
export interface ObservationWindow {
  readonly since: number;
  readonly until: number;
}

/**
 * The observation time before which reports are gone at `nowSeconds`: pruning's cut-off.
 * @example store.prune(retentionStart(Math.floor(Date.now() / 1000), 7))
 */
export function retentionStart(nowSeconds: number, retentionDays: number): number {
  return nowSeconds - retentionDays * DAY_SECONDS;
}

/**
 * The observation times a server stores at `nowSeconds`.
 * @example retainedWindow(now, 7) // { since: now - 7 days, until: now + 10 minutes }
 */
export function retainedWindow(nowSeconds: number, retentionDays: number): ObservationWindow {
  return { since: retentionStart(nowSeconds, retentionDays), until: nowSeconds + MAX_CLOCK_SKEW_SECONDS };
}

/**
 * An owner's window (Unix ms, either end open) in whole seconds, clamped to the retained
 * window: nothing can be older or newer than what is stored, and the clamp bounds the storage
 * buckets a query names whatever dates a client sends.
 * @example clampToRetained(now, 7, Date.now() - 86_400_000, undefined)
 */
export function clampToRetained(
  nowSeconds: number,
  retentionDays: number,
  sinceMs: number | undefined,
  untilMs: number | undefined,
): ObservationWindow {
  const retained = retainedWindow(nowSeconds, retentionDays);
  return {
    since: Math.max(sinceMs === undefined ? -Infinity : Math.ceil(sinceMs / 1000), retained.since),
    until: Math.min(untilMs === undefined ? Infinity : Math.floor(untilMs / 1000), retained.until),
  };
}
