/**
 * The owner's page (src/web/, built by scripts/build-web.mjs): `/` and its files under `/app/`,
 * from whatever the runtime reads them from (a folder on Node, the assets binding on Workers),
 * each with the page's Content-Security-Policy: scripts and styles from this origin only (no
 * inline script), WebAssembly compilation for the P-224 engine, workers from the checked blob
 * the page makes, requests to this server only, and images from the configured tile server.
 * Without a built page, `/` leads to the reference at /docs.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RouteContext } from './declare.ts';

/** Where the built page's files come from. */
export interface WebAssets {
  /** The bytes of a built file (`index.html`, `app/app.js`, …), or undefined. */
  read(path: string): Promise<Uint8Array | undefined>;
}

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app/app.js': 'text/javascript; charset=utf-8',
  'app/locate-worker.js': 'text/javascript; charset=utf-8',
  'app/style.css': 'text/css; charset=utf-8',
};

/**
 * The page's policy for a tile URL template (`{s}` subdomains become a wildcard).
 * @example contentSecurityPolicy('https://tile.openstreetmap.org/{z}/{x}/{y}.png')
 */
export function contentSecurityPolicy(tileUrl: string): string {
  let tiles = '';
  if (tileUrl) {
    const url = new URL(tileUrl.replace(/\{[^}]*\}/g, (field) => (field === '{s}' ? 'sub' : '0')));
    tiles = ` ${url.protocol}//${url.host.replace(/^sub\./, '*.')}`;
  }
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    'worker-src blob:',
    "style-src 'self'",
    // blob: for photos a paired phone sent, decrypted in the page.
    `img-src 'self' data: blob:${tiles}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** @example webRoutes(app, context, assets) */
export function webRoutes(app: OpenAPIHono, { config }: RouteContext, assets: WebAssets | undefined): void {
  const policy = contentSecurityPolicy(config.webTileUrl);
  const headers = (type: string) => ({
    'content-type': type,
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  const serve = async (path: string) => {
    const bytes = await assets?.read(path);
    return bytes ? new Response(bytes as BodyInit, { headers: headers(TYPES[path]!) }) : undefined;
  };
  app.get('/', async (c) => (await serve('index.html')) ?? c.redirect('/docs'));
  app.get('/app/config.json', (c) => {
    c.header('cache-control', 'no-cache');
    return c.json({ tileUrl: config.webTileUrl });
  });
  for (const path of Object.keys(TYPES).filter((p) => p.startsWith('app/')))
    app.get(`/${path}`, async (c) => (await serve(path)) ?? c.notFound());
}
