/**
 * The owner's page on Node: the files `npm run build:web` wrote to build/web, read once at
 * start (a few hundred KB) so that serving them touches no disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebAssets } from '../../http/routes/web.ts';

/** Where the build puts the page. */
export const WEB_BUILD_FOLDER = fileURLToPath(new URL('../../../build/web', import.meta.url));

/**
 * The built page in `folder`, or undefined when it has not been built.
 * @example const webAssets = builtWebAssets(WEB_BUILD_FOLDER);
 */
export function builtWebAssets(folder: string): WebAssets | undefined {
  if (!existsSync(join(folder, 'index.html'))) return undefined;
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Record<string, string>;
  const files = new Map(Object.keys(manifest).map((path) => [path, new Uint8Array(readFileSync(join(folder, path)))]));
  return { read: async (path) => files.get(path) };
}
