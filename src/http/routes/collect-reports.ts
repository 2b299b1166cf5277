/**
 * The compatibility routes (Apple's and macless-haystack's) have no cursors: their answers hold
 * every matching report. A request may name the same id in many entries and windows, so the work
 * is bounded by what it asks for in all of them together, never per entry: each distinct id is
 * read once, in one store query over the window that spans all of its entries, and a request that
 * matches more reports than an answer may hold is refused, not truncated.
 */
import { bytesToBase64 } from '../../../crypto/index.ts';
import type { ObservationWindow } from '../../rules/retention.ts';
import type { ReportStore, StoredReport } from '../../storage/store.ts';
import { ProblemError } from '../problem.ts';

/** Page size used to collect all matching reports. */
const COLLECT_PAGE = 5000;
/** Most reports one compatibility answer holds (about 20 MB of JSON); Apple's own service returns far fewer. */
export const MAX_COLLECTED_REPORTS = 100_000;

/** One entry of a request: these ids, within this window. */
export interface Lookup {
  readonly hashedIds: readonly Uint8Array[];
  readonly window: ObservationWindow;
}

/**
 * Every report the lookups ask for, each once, in the stable order: a report of an id is kept
 * when its observation time lies in a window of an entry that names the id. Throws a 400
 * problem when more than {@link MAX_COLLECTED_REPORTS} reports of the ids lie in the span.
 * @example await collectReports(store, [{ hashedIds, window: clampToRetained(now, 7, since, until) }])
 */
export async function collectReports(store: ReportStore, lookups: readonly Lookup[]): Promise<StoredReport[]> {
  const windowsById = new Map<string, { hashedId: Uint8Array; windows: ObservationWindow[] }>();
  let since = Infinity;
  let until = -Infinity;
  for (const { hashedIds, window } of lookups) {
    if (window.since > window.until) continue;
    since = Math.min(since, window.since);
    until = Math.max(until, window.until);
    for (const hashedId of hashedIds) {
      const key = bytesToBase64(hashedId);
      const entry = windowsById.get(key);
      if (entry) entry.windows.push(window);
      else windowsById.set(key, { hashedId, windows: [window] });
    }
  }
  if (windowsById.size === 0) return [];
  const hashedIds = [...windowsById.values()].map((entry) => entry.hashedId);
  const found: StoredReport[] = [];
  let read = 0;
  for (let after: StoredReport | undefined; ;) {
    const page = await store.query({ hashedIds, since, until, limit: COLLECT_PAGE, ...(after ? { after } : {}) });
    // What is read, not only what is kept, counts: windows that keep little of a wide span must not read it all.
    read += page.length;
    for (const report of page) {
      const { windows } = windowsById.get(bytesToBase64(report.hashedId))!;
      if (windows.some((w) => w.since <= report.timestamp && report.timestamp <= w.until)) found.push(report);
    }
    if (read > MAX_COLLECTED_REPORTS) {
      throw new ProblemError(
        400,
        `more than ${MAX_COLLECTED_REPORTS} reports match this request; ask for fewer ids or a shorter window`,
      );
    }
    if (page.length < COLLECT_PAGE) return found;
    after = page[page.length - 1];
  }
}
