/**
 * The operator's storage budget (STORAGE_BUDGET_MB): past it, uploads are refused with a clear
 * answer instead of filling the disk; before it, health warns while there is time to act.
 */

/** From this share of the budget on, health warns. */
const WARNING_SHARE = 0.9;

/** Where the database stands against its budget, with the words an operator reads. */
export type StorageState = { readonly state: 'ok' } | { readonly state: 'warning' | 'full'; readonly detail: string };

/**
 * @example storageState(950 * 2 ** 20, 1000 * 2 ** 20) // { state: 'warning', detail: 'the database holds 95 % of …' }
 */
export function storageState(bytes: number | undefined, budgetBytes: number): StorageState {
  if (budgetBytes <= 0 || bytes === undefined || bytes < WARNING_SHARE * budgetBytes) return { state: 'ok' };
  const share = `${Math.floor((bytes / budgetBytes) * 100)} % of its storage budget (${(budgetBytes / 2 ** 20).toFixed(0)} MB, STORAGE_BUDGET_MB)`;
  return bytes >= budgetBytes
    ? { state: 'full', detail: `the database holds ${share}: uploads are refused until reports expire` }
    : { state: 'warning', detail: `the database holds ${share}` };
}
