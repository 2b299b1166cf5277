/**
 * The owner's route: `POST /v1/reports/query`, reports by hashed id in the stable order, a page
 * at a time with an opaque cursor.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { DEFAULT_QUERY_LIMIT } from '../../contract/limits.ts';
import { QueryRequest, QueryResponse } from '../../contract/schemas.ts';
import { clampToRetained } from '../../rules/retention.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { answerJson, queryPageJson } from '../json-body.ts';
import { ProblemError } from '../problem.ts';
import { BODY_PROBLEMS, idRequestBodyLimit, jsonAnswer, jsonBody, typedBody, type RouteContext } from './declare.ts';

export const queryRoute = createRoute({
  method: 'post',
  path: '/v1/reports/query',
  summary: 'Fetch reports by hashed id, in observation-time order, with cursor paging',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(QueryRequest),
  responses: { 200: jsonAnswer(QueryResponse, 'One page of reports'), ...BODY_PROBLEMS },
});

/** @example ownerRoutes(app, context) */
export function ownerRoutes(app: OpenAPIHono, { store, config, nowSeconds }: RouteContext): void {
  app.openapi(queryRoute, async (c) => {
    const body = c.req.valid('json');
    const limit = body.limit ?? DEFAULT_QUERY_LIMIT;
    let after;
    try {
      after = body.cursor === undefined ? undefined : decodeCursor(body.cursor);
    } catch (error) {
      throw new ProblemError(400, `cursor: ${(error as Error).message}`);
    }
    const found = await store.query({
      hashedIds: body.ids,
      ...clampToRetained(nowSeconds(), config.retentionDays, body.since, body.until),
      limit: limit + 1,
      ...(after ? { after } : {}),
    });
    const page = found.slice(0, limit);
    const nextCursor = found.length > limit ? encodeCursor(page[page.length - 1]!) : null;
    return answerJson(c, queryPageJson(page, nextCursor));
  });
}
