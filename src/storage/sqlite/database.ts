/**
 * Opening the report database file: the connection settings the store and its reader threads
 * share, and the migrations from schema/: the pending ones applied in one transaction (drizzle's
 * migrator runs them between one BEGIN and COMMIT) and logged; a file that a newer version
 * migrated further is refused, since this version's queries do not know its tables.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { SqliteReaderOptions } from './readers.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../schema/migrations', import.meta.url));

/** How long a statement waits for a lock held by another connection before the store gives up. */
const BUSY_TIMEOUT_MS = 1000;
/** SQLite's page cache (KiB). The 2 MiB default makes every owner query re-read its pages. */
const CACHE_KIB = 64 * 1024;
/**
 * How much of the file SQLite reads through a memory map instead of read() calls, which owner
 * queries' seeks pay for page by page (BENCHMARKS.md). SQLite caps it at 2 GiB; writes still
 * go through write().
 */
const MMAP_BYTES = 2 ** 31;
/**
 * Statement shapes kept prepared per connection (queries: one per number of ids, with or
 * without a cursor; counts: one per number of pairs).
 */
export const MAX_CACHED_STATEMENTS = 256;

/**
 * WAL pages (4 KiB) past which a commit checkpoints them into the database file (PASSIVE, on the
 * writer's connection). Acknowledged data that rests in the WAL alone is lost with the WAL (a
 * damaged frame ends it, a deleted one takes all of it), which the start-up check
 * (acknowledged.ts) then refuses; this bounds how much that can be: 1 MiB, 1,000 to 3,000 reports by
 * how large their commit groups are, a quarter of SQLite's default 1,000 pages. Ingest measured no slower
 * (BENCHMARKS.md), though the machine was too busy to see a few per cent.
 */
export const WAL_CHECKPOINT_PAGES = 256;

/** Options the writer thread's connection shares with the store's. */
export const WRITER_OPTIONS = { busyTimeoutMs: BUSY_TIMEOUT_MS, cacheKib: CACHE_KIB, walPages: WAL_CHECKPOINT_PAGES };

/** Options the reader threads' connections share with the store's. */
export const READER_OPTIONS: SqliteReaderOptions = {
  busyTimeoutMs: BUSY_TIMEOUT_MS,
  cacheKib: CACHE_KIB,
  mmapBytes: MMAP_BYTES,
  maxCachedStatements: MAX_CACHED_STATEMENTS,
};

/** A migration as drizzle-kit's journal lists it: its name and when it was made (Unix ms). */
interface Migration {
  readonly tag: string;
  readonly when: number;
}

/** The migrations this version has, oldest first. */
function knownMigrations(): Migration[] {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: Migration[];
  };
  return journal.entries;
}

/** When the newest migration applied to `db` was made (drizzle's own record); undefined for a new file. */
function lastApplied(db: Database.Database): number | undefined {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'");
  if (table.get() === undefined) return undefined;
  const last = db.prepare('SELECT max(created_at) FROM __drizzle_migrations').pluck().get();
  return last === null ? undefined : Number(last);
}

/**
 * Refuses, naming it, a path that holds something other than a file: SQLite says only that it
 * is "unable to open database file".
 */
function refuseNonFile(path: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return; // nothing there yet, or nothing stat can see: SQLite says what is wrong
  }
  if (stats.isDirectory()) throw new Error(`${path} is a folder, not a database file`);
  if (!stats.isFile()) throw new Error(`${path} is not a regular file (a device, FIFO or socket), not a database file`);
}

/**
 * Applies the migrations `db` lacks, in one transaction, and says which; refuses a file migrated
 * by a newer version.
 */
function migrateLogged(db: Database.Database, log: (line: string) => void): void {
  const known = knownMigrations();
  const last = lastApplied(db);
  const newest = known.at(-1)!;
  if (last !== undefined && last > newest.when) {
    throw new Error(
      `its schema is newer than this version of Crowdfind knows (migrated on ${new Date(last).toISOString()}, after ${newest.tag}): run the newer version, or restore a backup this version made`,
    );
  }
  const pending = known.filter((migration) => last === undefined || migration.when > last);
  migrate(drizzle(db), { migrationsFolder: MIGRATIONS_FOLDER });
  if (pending.length > 0)
    log(`applied ${pending.length} migrations in one transaction: ${pending.map((m) => m.tag).join(', ')}`);
}

/**
 * Opens (creating folder and file if needed) and migrates a database file; `log` hears which
 * migrations were applied.
 * @example const db = openDatabase('./data/crowdfind.db', console.log);
 */
export function openDatabase(path: string, log: (line: string) => void = () => {}): Database.Database {
  if (path !== ':memory:') {
    refuseNonFile(path);
    mkdirSync(dirname(path), { recursive: true });
  }
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    migrateLogged(db, log);
    // A file SQLite could open only for reading would start healthy and then refuse every
    // upload: writing the header's user version back as it is finds out now (SQLITE_READONLY).
    if (path !== ':memory:') db.pragma(`user_version = ${Number(db.pragma('user_version', { simple: true }))}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Why SQLite's `error` means the file is damaged (not, or no longer, a sound database), in words
 * for an operator; undefined for any other failure.
 * @example damageOf(error) // 'the database is damaged (SQLITE_CORRUPT: …); restore it from a backup'
 */
export function damageOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return undefined;
  const what = code.startsWith('SQLITE_NOTADB')
    ? 'the file is not an SQLite database: of another kind, or its header is damaged'
    : 'the database is damaged';
  return `${what} (${code}: ${(error as Error).message}); restore it from a backup`;
}
