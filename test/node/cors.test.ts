// CORS_ORIGINS is honoured on every owner route, macless-haystack's included: a browser page of
// another origin cannot read the answers.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { DEFAULT_CONFIG } from '../../src/rules/config.ts';
import { openDatabase } from '../../src/storage/sqlite/database.ts';
import { appStores } from '../../src/storage/sqlite/app-stores.ts';

const app = createApp({
  ...appStores(openDatabase(':memory:')),
  config: { ...DEFAULT_CONFIG, corsOrigins: ['https://good.example'] },
  log: () => {},
});
const id = btoa(String.fromCharCode(...new Uint8Array(32)));
const ask = (path: string, origin: string, body: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('CORS_ORIGINS', () => {
  it.each([
    ['/v1/reports/query', { ids: [id] }],
    ['/compat/macless-haystack', { ids: [id] }],
  ])('%s answers the allowed origin and no other', async (path, body) => {
    const good = await ask(path, 'https://good.example', body);
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe('https://good.example');
    const evil = await ask(path, 'https://evil.example', body);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.headers.get('access-control-allow-private-network')).toBeNull();
  });

  it('macless-haystack answers any origin, private network included, when the setting is *', async () => {
    const open = createApp({
      ...appStores(openDatabase(':memory:')),
      config: DEFAULT_CONFIG,
      log: () => {},
    });
    const response = await open.request('/compat/macless-haystack', {
      method: 'POST',
      headers: { origin: 'https://any.example', 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [id] }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-private-network')).toBe('true');
  });
});
