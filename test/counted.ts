/** Waiting on a count in tests, for the moment it reaches a number rather than for a time. */

/**
 * `reach(n)` resolves once `count()` is `n` or more: checked at once, and whenever the code that
 * changes the count calls `changed()`.
 * @example const arrivals = counted(() => received.length); // the receiver calls arrivals.changed()
 * await arrivals.reach(2);
 */
export function counted(count: () => number) {
  const waiting = new Set<{ n: number; resolve: () => void }>();
  const changed = () => {
    for (const w of waiting) if (count() >= w.n) (waiting.delete(w), w.resolve());
  };
  const reach = (n: number) => new Promise<void>((resolve) => (waiting.add({ n, resolve }), changed()));
  return { reach, changed };
}
