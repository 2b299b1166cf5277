/**
 * What commands read and write around the SDK: the terminal (injected, so tests capture it),
 * key files, input and output files, each failure said in words.
 */
import { appendFileSync, chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ChannelBody } from '../sdk/channel.ts';
import { readKeyFile, type Device } from '../sdk/key-files.ts';
import { readPairing, type Pairing } from '../sdk/pairing.ts';
import { UsageError } from './args.ts';

/** Where the CLI writes; tests capture it. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  readonly interactive?: boolean;
  readonly now?: () => Date;
}

/** One command: its help text and what it does with its arguments (after the command's name). */
export interface Command {
  readonly help: string;
  run(args: string[], io: CliIo): Promise<void>;
}

/** Part of an upload was not stored; the command has printed its totals, and exits 1 with this line. */
export class IncompleteUploadError extends Error {
  override name = 'IncompleteUploadError';
}

/** The user interrupted (Ctrl-C); the command has said how far it got, and exits 130 with this line, as a shell does. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a folder on its path is a file',
  EEXIST: 'it already exists',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
};

/** A file error as one line in words: "cannot read tag.json: no such file". */
function fileError(verb: 'read' | 'write', path: string, error: unknown): UsageError {
  const { code, message } = error as NodeJS.ErrnoException;
  return new UsageError(`cannot ${verb} ${path}: ${(code && FILE_ERRORS[code]) ?? message}`);
}

/** A file's bytes; a missing or unreadable file is a usage error in words. */
export function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileError('read', path, error);
  }
}

/** The names of the files in a folder (not its subfolders), in name order; a mistake in words. */
export function readFolder(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') throw new UsageError(`cannot read ${path}: no such folder`);
    if (code === 'ENOTDIR') throw new UsageError(`cannot read ${path}: it is a file, not a folder`);
    throw fileError('read', path, error);
  }
}

/** The devices in a key file, named after the file where it names none. */
export function readDevices(path: string): Device[] {
  return readKeyFile(new Uint8Array(readInput(path)), basename(path).replace(/\.[^.]+$/, ''));
}

/** The --pairing file of a command, which must be the given side's. */
export function readPairingFile(values: Record<string, unknown>, role: Pairing['role']): Pairing {
  const path = values.pairing;
  if (typeof path !== 'string') throw new UsageError('--pairing is required');
  const pairing = readPairing(readInput(path).toString('utf8'));
  if (pairing.role !== role)
    throw new UsageError(`${path} is the ${pairing.role}'s side of the pairing; this command takes the ${role}'s`);
  return pairing;
}

/**
 * A small JSON record in a file only its owner can read (what a side of a pairing keeps between
 * runs); undefined while the file does not exist.
 * @example const record = jsonRecord<OwnerMemory>('phone.owner.json.state')
 */
export function jsonRecord<T>(path: string, what = 'a JSON record'): { load(): T | undefined; save(value: T): void } {
  return {
    load: () => {
      if (!existsSync(path)) return undefined;
      try {
        return JSON.parse(readInput(path).toString('utf8')) as T;
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`${path} is not ${what} (delete it to start afresh)`);
      }
    },
    save: (value) => writePrivateFile(path, JSON.stringify(value), true),
  };
}

/** What is printed of a phone's message: all of it but a photo's key, which is never shown. */
export function shownMessage(body: ChannelBody): Record<string, unknown> {
  const { key: _key, ...shown } = body;
  return shown;
}

/** Writes `text` to the file at `path`, or to stdout without one. */
export function output(text: string, path: string | undefined, io: CliIo): void {
  if (!path) return io.stdout(text);
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw fileError('write', path, error);
  }
}

/**
 * Writes private key material readable by its owner only (0600), and refuses to replace an
 * existing file unless `force`: overwriting an owner's keys loses every chance to find the item.
 */
export function writePrivateFile(path: string, text: string, force: boolean): void {
  try {
    writeFileSync(path, text, { mode: 0o600, flag: force ? 'w' : 'wx' });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(`${path} already exists; it may hold the only keys of an item (--force replaces it)`);
    throw fileError('write', path, error);
  }
}

/** Appends `text` to a file readable by its owner only; a file that cannot be written is a mistake in words. */
export function appendPrivateFile(path: string, text: string): void {
  try {
    appendFileSync(path, text, { mode: 0o600 });
  } catch (error) {
    throw fileError('write', path, error);
  }
}

/** A progress bar on stderr, drawn only on a terminal. */
export function progress(io: CliIo, label: string): (done: number, total: number) => void {
  return (done, total) => {
    if (!io.interactive) return;
    const width = 30;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    io.stderr(
      `\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done >= total ? '\n' : ''}`,
    );
  };
}

/**
 * A signal that Ctrl-C (SIGINT) aborts, for work that stops at a safe point and then says how far
 * it got; a second Ctrl-C quits at once (the default again). `dispose` hands SIGINT back.
 * @example const stop = interruptible(io, 'simulate'); try { await work(stop.signal) } finally { stop.dispose() }
 */
export function interruptible(io: CliIo, command: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const interrupt = () => {
    // After a progress bar, on a line of its own.
    io.stderr(
      `${io.interactive ? '\n' : ''}crowdfind ${command}: interrupted; finishing what is in flight (Ctrl-C again to quit at once)\n`,
    );
    controller.abort();
  };
  process.once('SIGINT', interrupt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', interrupt) };
}
