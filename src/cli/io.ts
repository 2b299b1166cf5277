/**
 * What commands read and write around the SDK: the terminal (injected, so tests capture it),
 * key files and output files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readKeyFile, type Device } from '../sdk/key-files.ts';
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

/** The devices in a key file, named after the file where it names none. */
export function readDevices(path: string): Device[] {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return readKeyFile(new Uint8Array(content), basename(path).replace(/\.[^.]+$/, ''));
}

/** Writes `text` to the file at `path`, or to stdout without one. */
export function output(text: string, path: string | undefined, io: CliIo): void {
  if (path) writeFileSync(path, text);
  else io.stdout(text);
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
