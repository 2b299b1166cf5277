/**
 * One server per database file: the store keeps each day's ids in memory and group-commits
 * in process, so a second server on the same file would answer owners from filters that never
 * saw the first one's uploads. A server claims its file by listening on a Unix socket named
 * after the file's real path; the kernel frees the socket when the process dies, however it
 * dies, so a claim never outlives its server (a lock file would, after kill -9).
 */
import { createHash } from 'node:crypto';
import { realpathSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartupError } from './startup-error.ts';

/** Where the claim on `databasePath` listens: short enough for any path, the same for every spelling of it. */
function socketPathOf(databasePath: string): string {
  const digest = createHash('sha256').update(realpathSync(databasePath)).digest('hex').slice(0, 24);
  return join(tmpdir(), `crowdfind-${digest}.sock`);
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Whether a live process answers on the socket (a socket file left by a dead one refuses). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Claims an existing database file for this process until the returned release is called;
 * throws {@link StartupError} while another server holds it.
 * @example const release = await claimDatabase('./data/crowdfind.db'); …; await release();
 */
export async function claimDatabase(databasePath: string): Promise<() => Promise<void>> {
  const path = socketPathOf(databasePath);
  const server = createServer((connection) => connection.destroy());
  try {
    await listen(server, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (await answers(path)) {
      throw new StartupError(`another Crowdfind server is using ${databasePath}; run one server per database file`);
    }
    unlinkSync(path);
    await listen(server, path);
  }
  server.unref();
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
