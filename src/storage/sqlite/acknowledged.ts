/**
 * The start-up check that the database still holds what it acknowledged. SQLite ends a WAL at
 * its first damaged frame, and takes a deleted WAL or an emptied file for a new database, all
 * without a word: only the record beside the file (acknowledged-record.mjs), which the writer
 * thread keeps after every commit, can tell. Pruning deletes reports but never lowers the
 * count, so retention is not taken for loss.
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { openRecord, readAcknowledged, recordPathOf, type Acknowledged } from './acknowledged-record.mjs';
import { WRITE_SQL } from './store.ts';

function heldBy(db: Database.Database): Acknowledged | undefined {
  return db.prepare(WRITE_SQL.acknowledged).get() as Acknowledged | undefined;
}

/**
 * What the database at `path` lost of what it acknowledged, in one line; undefined when it
 * lost nothing. A record that is missing is started from the database as it is (a file moved
 * without it, or first started by a server that kept none): it cannot be checked this time.
 * @example lossOf(db, './data/crowdfind.db') // '… holds 2000 of the 6000 acknowledged writes …'
 */
export function lossOf(db: Database.Database, path: string): string | undefined {
  const recordPath = recordPathOf(path);
  let recorded: Acknowledged | undefined;
  try {
    recorded = readAcknowledged(recordPath);
  } catch (error) {
    return `${(error as Error).message}, so what was acknowledged cannot be checked`;
  }
  if (recorded === undefined) return undefined;
  const held = heldBy(db);
  if (held === undefined || held.identity !== recorded.identity) {
    return (
      `${path} is not the database that acknowledged the ${recorded.writes} writes ${recordPath} records ` +
      `(identity ${held?.identity ?? 'none'}, recorded ${recorded.identity}): ` +
      'its WAL was lost, or the file was emptied or replaced'
    );
  }
  if (held.writes < recorded.writes) {
    return (
      `${path} holds ${held.writes} of the ${recorded.writes} writes it acknowledged (${recordPath}): ` +
      `the last ${recorded.writes - held.writes} were lost with a damaged or missing WAL, or the file is an older copy`
    );
  }
  return undefined;
}

/**
 * Makes the record say what the database holds now: after a loss the operator accepted, or to
 * start one. From here on, only later losses are found. Says, in words, when it started a
 * record for a database that had acknowledged writes already (undefined otherwise).
 */
export function baseline(db: Database.Database, path: string): string | undefined {
  const held = heldBy(db);
  if (held === undefined) throw new Error(`${path} has no acknowledgements row: it was not created by this server`);
  const recordPath = recordPathOf(path);
  const started = !existsSync(recordPath) && held.writes > 0;
  const record = openRecord(recordPath);
  try {
    record.reset(held);
  } finally {
    record.close();
  }
  return started
    ? `no record of acknowledged writes beside ${path}: started ${recordPath}; a loss before this start cannot be found`
    : undefined;
}
