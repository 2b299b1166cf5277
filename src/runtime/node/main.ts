/**
 * `npm start`: the server on Node with an embedded SQLite file, configured from the
 * environment (README: PORT, HOST, DATABASE_PATH, READER_THREADS, METRICS_PORT, METRICS_HOST, and the
 * app's settings in config.ts).
 * One flag: `--accept-loss` serves a database that lost acknowledged writes (server.ts).
 */
import { configFromEnv, envText, nonNegativeInteger, positiveInteger } from '../../rules/config.ts';
import { withDiskBudgets } from './disk-budget.ts';
import { defaultReaderThreads, MAX_CONNECTIONS_PER_CLIENT, startNodeServer, type RunningServer } from './server.ts';

let server: RunningServer;
try {
  const databasePath = envText(process.env, 'DATABASE_PATH') ?? './data/crowdfind.db';
  const config = withDiskBudgets(configFromEnv(process.env), process.env, databasePath);
  const megabytes = (bytes: number) => (bytes > 0 ? `${Math.floor(bytes / 2 ** 20)} MB` : 'none');
  console.log(
    `storage budgets: reports ${megabytes(config.storageBudgetBytes)}, notices, shares and mailboxes ${megabytes(config.ownerStorageBudgetBytes)}`,
  );
  server = await startNodeServer({
    port: positiveInteger(process.env, 'PORT', 3000),
    host: envText(process.env, 'HOST') ?? '127.0.0.1',
    databasePath,
    config,
    readerThreads: nonNegativeInteger(process.env, 'READER_THREADS', defaultReaderThreads()),
    maxConnectionsPerClient: nonNegativeInteger(process.env, 'MAX_CONNECTIONS_PER_CLIENT', MAX_CONNECTIONS_PER_CLIENT),
    acceptLoss: process.argv.slice(2).includes('--accept-loss'),
    // Metrics are off until the operator gives them a port of their own.
    ...(envText(process.env, 'METRICS_PORT') === undefined
      ? {}
      : {
          metrics: {
            port: positiveInteger(process.env, 'METRICS_PORT', 0),
            host: envText(process.env, 'METRICS_HOST') ?? '127.0.0.1',
          },
        }),
  });
} catch (error) {
  // A setting, a port or a file that is not right: one line, not a stack.
  console.error(`Crowdfind could not start: ${(error as Error).message}`);
  process.exit(1);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    console.log(`${signal}: finishing in-flight requests`);
    server.close().then(() => process.exit(0));
  });
}
