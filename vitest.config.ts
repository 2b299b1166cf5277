import { readFileSync } from 'node:fs';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { VECTORS_PATH } from './test/vectors-path.ts';

export default defineConfig(async () => {
  // workerd has no file system: the Workers project receives vectors and migrations as bindings.
  const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));
  const migrations = await readD1Migrations('./schema/migrations');
  return {
    test: {
      projects: [
        {
          test: {
            name: 'node',
            include: ['test/node/**/*.test.ts', 'src/**/*.test.ts'],
            environment: 'node',
            testTimeout: 30_000,
          },
        },
        {
          plugins: [
            cloudflareTest({
              main: './src/runtime/workers/worker.ts',
              wrangler: { configPath: './wrangler.toml' },
              // A second local D1 database makes the Worker sharded in tests; a rate-limiting
              // binding under a test name, so only the test that wants it has it.
              miniflare: {
                d1Databases: ['DB', 'DB_1'],
                ratelimits: { TEST_RATE_LIMITER: { simple: { limit: 2, period: 60 } } },
                bindings: { VECTORS: vectors, TEST_MIGRATIONS: migrations },
              },
            }),
          ],
          test: {
            name: 'workers',
            include: ['test/workers/**/*.test.ts'],
            setupFiles: ['./test/workers/apply-migrations.ts'],
            testTimeout: 30_000,
          },
        },
      ],
    },
  };
});
