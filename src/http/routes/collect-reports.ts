/**
 * The compatibility routes (Apple's and macless-haystack's) have no cursors: their answers hold
 * every matching report, collected here page by page up to a bound.
 */
import type { ObservationWindow } from '../../rules/retention.ts';
import type { ReportStore, StoredReport } from '../../storage/store.ts';

/** Page size used to collect all matching reports. */
const COLLECT_PAGE = 5000;
/** Most reports one compatibility request returns; Apple's own service returns far fewer. */
const MAX_COLLECTED_REPORTS = 100_000;

/**
 * Every report of `hashedIds` observed in the window, in the stable order, at most {@link MAX_COLLECTED_REPORTS}.
 * @example await collectReports(store, hashedIds, clampToRetained(now, 7, since, until))
 */
export async function collectReports(
  store: ReportStore,
  hashedIds: Uint8Array[],
  window: ObservationWindow,
): Promise<StoredReport[]> {
  const found: StoredReport[] = [];
  for (let after: StoredReport | undefined; found.length < MAX_COLLECTED_REPORTS;) {
    const page = await store.query({ hashedIds, ...window, limit: COLLECT_PAGE, ...(after ? { after } : {}) });
    for (const report of page) found.push(report);
    if (page.length < COLLECT_PAGE) break;
    after = page[page.length - 1];
  }
  return found;
}
