/**
 * `crowdfind backup`: a consistent copy of a server's database while the server runs, through
 * SQLite's online backup. A command on the server's machine rather than an admin route: it needs
 * the file, not the network, so there is no route to guard with a secret, and a copy of many
 * gigabytes never travels through the server's event loop.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { UsageError, parse, required } from '../args.ts';
import type { Command } from '../io.ts';

/** better-sqlite3's largest step: the whole file in one step, so in one read transaction. */
const ALL_PAGES = 0x7fffffff;

export const backupCommand: Command = {
  help: `crowdfind backup --out FILE [--db PATH]

Copies the server's database to FILE while the server runs and uploads go on: SQLite's online
backup reads one snapshot of the file (WAL readers block no writer), so the copy holds every
report acknowledged before the backup started. Run it on the server's machine, as a user that
can read the database. FILE must not exist; the copy is checked before it takes that name.

  --db PATH    the database (default: DATABASE_PATH, else ./data/crowdfind.db, as the server)
  --out FILE   where the copy goes

Restore: stop the server, put the copy at DATABASE_PATH, remove the old file's -wal, -shm and
.ack files beside it, and start the server (README: Backup and restore).`,

  async run(args, io) {
    const values = parse(args, { db: { type: 'string' }, out: { type: 'string' } });
    const out = required(values, 'out');
    const path = (values.db as string | undefined) ?? process.env.DATABASE_PATH ?? './data/crowdfind.db';
    if (existsSync(out)) throw new UsageError(`${out} already exists; a backup never replaces a file`);
    const source = openSource(path);
    const partial = `${out}.partial`;
    try {
      rmSync(partial, { force: true });
      await source.backup(partial, { progress: () => ALL_PAGES });
      const reports = checkedReportCount(partial);
      renameSync(partial, out);
      io.stderr(`backed up ${path} to ${out}: ${reports} reports\n`);
    } catch (error) {
      rmSync(partial, { force: true });
      throw error instanceof UsageError
        ? error
        : new Error(`the backup of ${path} failed: ${(error as Error).message}`);
    } finally {
      source.close();
    }
  },
};

/** The database, read-only: a backup must never write to the file it saves. */
function openSource(path: string): Database.Database {
  if (!existsSync(path)) throw new UsageError(`no database at ${path} (--db, or DATABASE_PATH)`);
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new UsageError(`cannot open ${path}: ${(error as Error).message}`);
  }
}

/** The copy's report count, after SQLite's own check that the copy is whole. */
function checkedReportCount(path: string): number {
  const copy = new Database(path, { readonly: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy failed SQLite's check: ${String(check)}`);
    return copy.prepare('SELECT count(*) FROM reports').pluck().get() as number;
  } finally {
    copy.close();
  }
}
