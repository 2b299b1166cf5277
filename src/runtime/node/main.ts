/**
 * `npm start`: the server on Node with an embedded SQLite file, configured from the
 * environment (README: PORT, HOST, DATABASE_PATH, READER_THREADS, and the app's settings in config.ts).
 */
import { configFromEnv, envText, nonNegativeInteger, positiveInteger } from '../../rules/config.ts';
import { defaultReaderThreads, startNodeServer } from './server.ts';

const server = await startNodeServer({
  port: positiveInteger(process.env, 'PORT', 3000),
  host: envText(process.env, 'HOST') ?? '127.0.0.1',
  databasePath: envText(process.env, 'DATABASE_PATH') ?? './data/crowdfind.db',
  config: configFromEnv(process.env),
  readerThreads: nonNegativeInteger(process.env, 'READER_THREADS', defaultReaderThreads()),
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    console.log(`${signal}: finishing in-flight requests`);
    server.close().then(() => process.exit(0));
  });
}
