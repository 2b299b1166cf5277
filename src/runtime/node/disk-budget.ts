/**
 * The storage budgets a Node server starts with when the operator names none: shares of the
 * space its database may use (rules/storage-budget.ts), measured on the disk it lives on.
 */
import { existsSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { envText, type AppConfig, type Environment } from '../../rules/config.ts';
import { defaultBudgets } from '../../rules/storage-budget.ts';

/** The database's current size (with its write-ahead log) plus the free space of its disk. */
function usableBytes(databasePath: string): number {
  let folder = dirname(resolve(databasePath));
  while (!existsSync(folder)) folder = dirname(folder);
  const disk = statfsSync(folder);
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
  return disk.bavail * disk.bsize + size(databasePath) + size(`${databasePath}-wal`);
}

/**
 * The settings with a budget from the disk for each of STORAGE_BUDGET_MB and
 * OWNER_STORAGE_BUDGET_MB left unset (set to 0, a budget stays off).
 * @example withDiskBudgets(configFromEnv(process.env), process.env, './data/crowdfind.db')
 */
export function withDiskBudgets(config: AppConfig, env: Environment, databasePath: string): AppConfig {
  const reportsUnset = envText(env, 'STORAGE_BUDGET_MB') === undefined;
  const ownerUnset = envText(env, 'OWNER_STORAGE_BUDGET_MB') === undefined;
  if (!reportsUnset && !ownerUnset) return config;
  const defaults = defaultBudgets(usableBytes(databasePath));
  return {
    ...config,
    ...(reportsUnset ? { storageBudgetBytes: defaults.reports } : {}),
    ...(ownerUnset ? { ownerStorageBudgetBytes: defaults.ownerStores } : {}),
  };
}
