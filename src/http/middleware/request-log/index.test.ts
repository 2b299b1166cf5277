import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestLog } from './index.ts';

describe('requestLog', () => {
  it('writes method, path, status and duration, and nothing from the query, headers or body', async () => {
    const lines: string[] = [];
    const app = new Hono()
      .use(
        '*',
        requestLog((line) => lines.push(line)),
      )
      .post('/v1/reports/query', (c) => c.json({}, 201));
    await app.request('/v1/reports/query?id=SECRET', {
      method: 'POST',
      headers: { 'x-forwarded-for': '198.51.100.7' },
      body: '{"ids":["SECRET"]}',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^POST \/v1\/reports\/query 201 \d+\.\dms$/);
  });
});

describe('requestLog and hostile paths', () => {
  it('writes a path as sent, percent-encoded and bounded, so that it cannot forge a line', async () => {
    const lines: string[] = [];
    const app = new Hono()
      .use(
        '*',
        requestLog((line) => lines.push(line)),
      )
      .get('*', (c) => c.text('ok'));
    await app.request('/a%0AGET%20/forged%20200%201.0ms');
    await app.request(`/${'x'.repeat(8000)}`);
    await app.request('/<script>alert(1)</script>');
    expect(lines.every((line) => !/[\r\n]/.test(line))).toBe(true);
    expect(lines[0]).toMatch(/^GET \/a%0AGET%20\/forged%20200%201\.0ms 200 \d+\.\dms$/);
    expect(lines[1]!.length).toBeLessThan(260);
    expect(lines[2]).not.toContain('<script>');
  });

  it('says the client went away when it closed the connection before its answer', async () => {
    const lines: string[] = [];
    const gone = new AbortController();
    const app = new Hono()
      .use(
        '*',
        requestLog((line) => lines.push(line)),
      )
      .post('/v1/reports', async (c) => {
        gone.abort();
        return c.text('late');
      });
    await app.request('/v1/reports', { method: 'POST', body: 'x', signal: gone.signal });
    expect(lines).toEqual([expect.stringMatching(/^POST \/v1\/reports client went away \d+\.\dms$/)]);
  });
});
