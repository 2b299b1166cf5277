/**
 * The real server in its own process, the way `npm start` runs it, for benchmarks and for the
 * tests that kill it. Resolves once it logs `ready` (by default: listening).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface SpawnedServer {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves to the exit code. */
  readonly exited: Promise<number | null>;
}

/** A port nothing listens on now. @example const port = await freePort(); */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** This tree's `npm start` entry point. */
const MAIN = fileURLToPath(new URL('../src/runtime/node/main.ts', import.meta.url));

/**
 * `args` follow the entry point, as after `npm start --`; `entry` is another tree's main.ts (a
 * benchmark comparing builds).
 * On a free port, or on `env.PORT` (a server started again where its clients expect it).
 * @example const { url, child } = await spawnServer(databasePath, { RATE_LIMIT_UPLOADS: '0' });
 */
export async function spawnServer(
  databasePath: string,
  env: Record<string, string> = {},
  ready = 'listening on',
  { args = [], entry = MAIN }: { args?: readonly string[]; entry?: string } = {},
): Promise<SpawnedServer> {
  const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
  // The flags of `npm start` (package.json).
  const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', entry, ...args], {
    env: { ...process.env, PORT: String(port), DATABASE_PATH: databasePath, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const watch = (chunk: Buffer) => {
      seen += chunk.toString();
      if (!seen.includes(ready)) return;
      // From here on the server's log is drained and dropped.
      child.stdout!.off('data', watch);
      child.stdout!.resume();
      resolve();
    };
    child.stdout!.on('data', watch);
    void exited.then((code) => reject(new Error(`the server exited with ${code} before "${ready}"`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, exited };
}
