/**
 * The owner's report archive as a SQLite file (Node only: the page cannot open files). The file
 * holds decrypted locations, so it is created readable by its owner only (0600), and a file that
 * others can read is refused rather than used.
 */
import { closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { randomBytes } from '@noble/hashes/utils.js';
import { newestFirst, type LocatedReport } from './owner.ts';
import { PLAIN_CODEC, passphraseCodec, type EntryCodec, type ReportArchive } from './archive.ts';
import { PASSPHRASE_SALT_LENGTH } from './passphrase.ts';

/** A mistake about the archive file itself: its mode, its passphrase, its contents. */
export class ArchiveFileError extends Error {
  override name = 'ArchiveFileError';
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS archive_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS archive_entries (id TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;`;

/** An archive file, open; close it when done. */
export interface ArchiveFile extends ReportArchive {
  /** How many reports it holds. */
  count(): number;
  close(): void;
}

/**
 * Opens the archive at `path`, creating it (0600) if it does not exist. With a passphrase a new
 * archive is encrypted, and an existing one must have been made under the same passphrase.
 * @example const archive = await openArchiveFile('history.db', process.env.CROWDFIND_ARCHIVE_PASSPHRASE)
 */
export async function openArchiveFile(path: string, passphrase?: string): Promise<ArchiveFile> {
  createPrivately(path);
  let db: Database.Database;
  try {
    db = new Database(path);
    db.exec(SCHEMA);
  } catch (error) {
    throw new ArchiveFileError(`cannot use ${path} as an archive: ${(error as Error).message}`);
  }
  try {
    const codec = await codecOf(db, path, passphrase);
    return archiveOn(db, codec);
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Creates the file empty and 0600 if it is missing, then refuses it if anyone else may read it. */
function createPrivately(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new ArchiveFileError(`cannot create ${path}: ${(error as Error).message}`);
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new ArchiveFileError(
      `${path} can be read by others (mode ${mode.toString(8)}); it holds locations, so chmod 600 it first`,
    );
}

/** The codec of the archive: plain, or under the passphrase that made it (checked by its verifier). */
async function codecOf(db: Database.Database, path: string, passphrase: string | undefined): Promise<EntryCodec> {
  const meta = (key: string) =>
    (db.prepare('SELECT value FROM archive_meta WHERE key = ?').get(key) as { value: Buffer } | undefined)?.value;
  const setMeta = db.prepare('INSERT INTO archive_meta (key, value) VALUES (?, ?)');
  const salt = meta('salt');
  const isNew = meta('created') === undefined;
  if (!isNew && !salt && passphrase !== undefined)
    throw new ArchiveFileError(`${path} was made without a passphrase; use it without one`);
  if (!isNew && salt && passphrase === undefined)
    throw new ArchiveFileError(
      `${path} is encrypted; give its passphrase with --passphrase-file or CROWDFIND_ARCHIVE_PASSPHRASE`,
    );
  if (passphrase === undefined) {
    if (isNew) setMeta.run('created', Buffer.from(new Date().toISOString()));
    return PLAIN_CODEC;
  }
  const saltBytes = salt ? new Uint8Array(salt) : randomBytes(PASSPHRASE_SALT_LENGTH);
  let codec: Awaited<ReturnType<typeof passphraseCodec>>;
  try {
    codec = await passphraseCodec(passphrase, saltBytes);
  } catch (error) {
    throw new ArchiveFileError((error as Error).message);
  }
  const verifier = Buffer.from(codec.verifier);
  if (isNew)
    db.transaction(() => {
      setMeta.run('salt', Buffer.from(saltBytes));
      setMeta.run('verifier', verifier);
      setMeta.run('created', Buffer.from(new Date().toISOString()));
    })();
  else if (!meta('verifier')?.equals(verifier)) throw new ArchiveFileError(`that passphrase does not open ${path}`);
  return codec;
}

function archiveOn(db: Database.Database, codec: EntryCodec): ArchiveFile {
  const insert = db.prepare('INSERT OR IGNORE INTO archive_entries (id, body) VALUES (?, ?)');
  const addAll = db.transaction((reports: readonly LocatedReport[]) => {
    let added = 0;
    for (const report of reports) {
      const { id, body } = codec.encode(report);
      added += insert.run(id, Buffer.from(body)).changes;
    }
    return added;
  });
  const bodies = db.prepare('SELECT body FROM archive_entries').pluck();
  return {
    add: async (reports) => addAll(reports),
    // Entries are sealed whole (their time too), so the window is applied after opening them.
    async between(since, until) {
      const reports = (bodies.all() as Buffer[]).map((body) => codec.decode(new Uint8Array(body)));
      return newestFirst(reports.filter((r) => r.timestamp >= since && r.timestamp <= until));
    },
    count: () => db.prepare('SELECT count(*) FROM archive_entries').pluck().get() as number,
    close: () => db.close(),
  };
}
