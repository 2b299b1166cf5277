/**
 * The operator's storage budgets: one for reports (STORAGE_BUDGET_MB), one for the stores
 * anyone may write to without authority, notices, shares and mailboxes (OWNER_STORAGE_BUDGET_MB),
 * so that filling those never stops report ingest. Past a budget its writes are refused with a
 * clear answer instead of filling the disk; before it, health warns while there is time to act.
 */

/** From this share of a budget on, health warns. */
const WARNING_SHARE = 0.9;

/** The stores each budget holds, in the words an operator reads. */
export const BUDGETS = {
  reports: {
    holder: 'reports',
    variable: 'STORAGE_BUDGET_MB',
    refused: 'uploads are refused until reports expire',
  },
  ownerStores: {
    holder: 'notices, shares and mailboxes',
    variable: 'OWNER_STORAGE_BUDGET_MB',
    refused: 'new ones are refused until some expire',
  },
} as const;
export type BudgetName = keyof typeof BUDGETS;

/** Where a store stands against its budget, with the words an operator reads. */
export type StorageState = { readonly state: 'ok' } | { readonly state: 'warning' | 'full'; readonly detail: string };

/**
 * @example storageState(950 * 2 ** 20, 1000 * 2 ** 20, 'reports') // { state: 'warning', detail: 'reports hold 95 % of …' }
 */
export function storageState(bytes: number | undefined, budgetBytes: number, name: BudgetName): StorageState {
  if (budgetBytes <= 0 || bytes === undefined || bytes < WARNING_SHARE * budgetBytes) return { state: 'ok' };
  const { holder, variable, refused } = BUDGETS[name];
  const share = `${Math.floor((bytes / budgetBytes) * 100)} % of their storage budget (${(budgetBytes / 2 ** 20).toFixed(0)} MB, ${variable})`;
  return bytes >= budgetBytes
    ? { state: 'full', detail: `${holder} hold ${share}: ${refused}` }
    : { state: 'warning', detail: `${holder} hold ${share}` };
}

/** Of the space the database may use at start, the share of each default budget. */
const DEFAULT_SHARES: Readonly<Record<BudgetName, number>> = { reports: 0.4, ownerStores: 0.1 };

/**
 * The default budgets of a machine: 40 % (reports) and 10 % (the owner stores) of the space the
 * database may use at start, its current size plus the disk's free space, so that together they
 * leave half of it to the rest of the machine.
 * @example defaultBudgets(10 * 2 ** 30) // { reports: 4 GiB, ownerStores: 1 GiB }
 */
export function defaultBudgets(usableBytes: number): Record<BudgetName, number> {
  return {
    reports: Math.floor(usableBytes * DEFAULT_SHARES.reports),
    ownerStores: Math.floor(usableBytes * DEFAULT_SHARES.ownerStores),
  };
}
