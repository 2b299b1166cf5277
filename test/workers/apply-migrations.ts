// Every shard database gets the schema's migrations, as `wrangler d1 migrations apply` would.
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

const bindings = env as unknown as {
  DB: D1Database;
  DB_1: D1Database;
  TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1];
};
await applyD1Migrations(bindings.DB, bindings.TEST_MIGRATIONS);
await applyD1Migrations(bindings.DB_1, bindings.TEST_MIGRATIONS);
