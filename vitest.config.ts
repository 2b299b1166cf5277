import { readFileSync } from 'node:fs';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { VECTORS_PATH } from './test/vectors-path.ts';

// workerd has no file system: the Workers project receives the shared vectors as a binding.
const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'node', include: ['test/node/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' }, miniflare: { bindings: { VECTORS: vectors } } })],
        test: { name: 'workers', include: ['test/workers/**/*.test.ts'] },
      },
    ],
  },
});
