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
