/**
 * Opening the report database file: the connection settings the store and its reader threads
 * share, and the migrations from schema/.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
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
 * Refuses a database that a newer server migrated: this one would run on a schema it does not
 * know (drizzle only ever applies the migrations newer than the file's last).
 */
function refuseNewerSchema(db: Database.Database): void {
  const tracked = db.prepare("SELECT 1 FROM sqlite_master WHERE name = '__drizzle_migrations'").get();
  if (!tracked) return;
  const applied = Number(db.prepare('SELECT max(created_at) FROM __drizzle_migrations').pluck().get());
  const known = Math.max(...readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => m.folderMillis));
  if (applied > known) {
    throw new Error(
      `its schema is newer than this server's (a migration of ${new Date(applied).toISOString()}; ` +
        `this server knows up to ${new Date(known).toISOString()}): run the Crowdfind that wrote it, or a newer one`,
    );
  }
}

/**
 * Opens (creating folder and file if needed) and migrates a database file.
 * @example const db = openDatabase('./data/crowdfind.db');
 */
export function openDatabase(path: string): Database.Database {
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
    refuseNewerSchema(db);
    migrate(drizzle(db), { migrationsFolder: MIGRATIONS_FOLDER });
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
