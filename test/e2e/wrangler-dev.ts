/**
 * The Worker as `npm run dev:worker` serves it: the shipped wrangler.toml under `wrangler dev`
 * (workerd, local D1 with the migrations applied, local R2, the Durable Object), as a real HTTP
 * server on a free port, quiet and offline. Its state lives in a folder of the caller's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../bench/spawn-server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
// Quiet and offline, as scripts/dev-worker.mjs runs it.
const env = {
  ...process.env,
  WRANGLER_HIDE_BANNER: 'true',
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

/**
 * How long a test gives it to start: the migrations and the dev server are two wrangler
 * processes, each a minute or more on a busy 2-core machine.
 */
export const WRANGLER_DEV_START_MS = 180_000;

export interface WranglerDev {
  readonly url: string;
  /** Everything wrangler and the Worker printed so far. */
  output(): string;
  /** Stops it and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * @example const dev = await startWranglerDev(join(folder, 'state'), { RATE_LIMIT_QUERIES: '0' });
 */
export async function startWranglerDev(persist: string, vars: Record<string, string> = {}): Promise<WranglerDev> {
  const migrated = spawnSync(wrangler, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr}`);
  const port = await freePort();
  const varArgs = Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]);
  const dev = spawn(
    wrangler,
    [
      'dev',
      ...['--ip', '127.0.0.1', '--port', String(port), '--persist-to', persist],
      ...varArgs,
      '--show-interactive-dev-session=false',
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => dev.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready on')) resolve();
    };
    dev.stdout!.on('data', collect);
    dev.stderr!.on('data', collect);
    void exited.then(() => reject(new Error(`wrangler dev exited before it was ready:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      dev.kill();
      await exited;
    },
  };
}
