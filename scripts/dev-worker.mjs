// `npm run dev:worker`: the Worker in local workerd on local D1, quiet offline. Wrangler would
// otherwise print an update check, a telemetry notice and two stack traces from fetching the
// request.cf data from the network; none of them matter to a local server.
import { spawnSync } from 'node:child_process';

const env = {
  ...process.env,
  WRANGLER_HIDE_BANNER: 'true',
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};
for (const args of [
  ['d1', 'migrations', 'apply', 'DB', '--local'],
  ['dev', '--ip', '127.0.0.1', '--port', '8787'],
]) {
  const { status } = spawnSync('wrangler', args, { env, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
