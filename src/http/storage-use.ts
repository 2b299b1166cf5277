/**
 * What each storage budget's stores hold now: the owner stores (notices, shares, mailboxes,
 * attachments) by the bytes of what they keep, and reports as the rest of the database, so
 * that rows of the owner stores never count against the reports' budget.
 */
import type { BudgetName } from '../rules/storage-budget.ts';
import type { ReportStore } from '../storage/store.ts';

/** Bytes per budget; absent where the runtime cannot tell (D1 does not tell its size). */
export type StorageUse = Partial<Record<BudgetName, number>>;

/** How long one sum of the owner stores is reused: it reads their tables, and uploads ask often. */
const OWNER_BYTES_REUSE_MS = 2000;

export interface StorageMeter {
  /** What each budget's stores hold now. */
  use(): Promise<StorageUse>;
  /** Counts an admitted write to the owner stores at once, before the next sum sees it. */
  wrote(bytes: number): void;
}

/**
 * @example const meter = storageMeter(store, ownerStoreBytes); (await meter.use()).reports
 */
export function storageMeter(store: ReportStore, ownerStoreBytes: (() => Promise<number>) | undefined): StorageMeter {
  // The last sum and what was admitted since; a stale sum is refreshed in the background and the
  // last one answers meanwhile, so that no request (health least of all) waits on a stalled disk.
  let known: { bytes: number; since: number; at: number } | undefined;
  let refreshing: Promise<void> | undefined;
  const refresh = () =>
    (refreshing ??= ownerStoreBytes!()
      .then((bytes) => void (known = { bytes, since: 0, at: performance.now() }))
      .finally(() => (refreshing = undefined)));
  const ownerBytes = async () => {
    if (!ownerStoreBytes) return 0;
    if (!known) await refresh();
    else if (performance.now() - known.at >= OWNER_BYTES_REUSE_MS) refresh().catch(() => {});
    return known!.bytes + known!.since;
  };
  return {
    async use() {
      const total = await store.storageBytes();
      if (total === undefined) return {};
      const ownerStores = await ownerBytes();
      return { reports: Math.max(0, total - ownerStores), ...(ownerStoreBytes ? { ownerStores } : {}) };
    },
    wrote(bytes) {
      if (known) known.since += bytes;
    },
  };
}
