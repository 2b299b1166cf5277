/** `--archive FILE` of locate and watch: the owner's report archive, and the passphrase it may be under. */
import { ArchiveFileError, openArchiveFile, type ArchiveFile } from '../sdk/archive-file.ts';
import { UsageError, type Values } from './args.ts';
import { readInput } from './io.ts';

export const PASSPHRASE_ENV = 'CROWDFIND_ARCHIVE_PASSPHRASE';

export const ARCHIVE_OPTIONS = {
  archive: { type: 'string' },
  'passphrase-file': { type: 'string' },
} as const;

export const ARCHIVE_HELP = `  --archive FILE        keep every report decrypted here in FILE, a SQLite file readable only
                        by you (created 0600); later runs add the server's new reports to it
  --passphrase-file F   encrypt the archive under the passphrase in F (its first line); or set
                        ${PASSPHRASE_ENV}. Never on the command line: others can read that`;

/** --archive and the passphrase it is under, checked and read; undefined without --archive. */
export interface ArchiveOption {
  readonly path: string;
  readonly passphrase: string | undefined;
}

/**
 * Checks --archive and --passphrase-file and reads the passphrase, without opening anything: a
 * mistake is found before a command sends or publishes. The passphrase comes from a file or the
 * environment, never an argument, which `ps` shows everyone.
 */
export function archiveOption(values: Values): ArchiveOption | undefined {
  const path = values.archive as string | undefined;
  const passphraseFile = values['passphrase-file'] as string | undefined;
  if (path === undefined) {
    if (passphraseFile !== undefined) throw new UsageError('--passphrase-file goes with --archive');
    return undefined;
  }
  const passphrase =
    passphraseFile !== undefined
      ? (readInput(passphraseFile).toString('utf8').split(/\r?\n/)[0] ?? '')
      : process.env[PASSPHRASE_ENV] || undefined;
  return { path, passphrase };
}

/** The archive of an {@link archiveOption}, opened (and created if new), or undefined without one. */
export async function openArchive(option: ArchiveOption | undefined): Promise<ArchiveFile | undefined> {
  if (option === undefined) return undefined;
  try {
    return await openArchiveFile(option.path, option.passphrase);
  } catch (error) {
    if (error instanceof ArchiveFileError) throw new UsageError(error.message);
    throw error;
  }
}

/** The archive named by --archive, checked and opened, or undefined without one. */
export function openArchiveOption(values: Values): Promise<ArchiveFile | undefined> {
  return openArchive(archiveOption(values));
}
