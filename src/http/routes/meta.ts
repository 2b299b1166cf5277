/**
 * Routes about the server itself: health for monitors, the OpenAPI document, and its
 * rendering for people at /docs.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { Health } from '../../contract/schemas.ts';
import { renderDocs } from '../docs.ts';
import { ProblemError } from '../problem.ts';
import { jsonAnswer, storageOf, STORAGE_PROBLEMS, type RouteContext } from './declare.ts';

/** Health's path: the app leaves it out of the request limits, for monitors. */
export const HEALTH_PATH = '/v1/health';

const healthRoute = createRoute({
  method: 'get',
  path: HEALTH_PATH,
  summary: 'Whether the database answers, and how near it is to its storage budget',
  responses: { 200: jsonAnswer(Health, 'The database answers'), ...STORAGE_PROBLEMS },
});

const OPENAPI_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'Crowdfind',
    version: '0.1.0',
    description: 'Offline-finding crowd network backend, Apple-compatible reports',
  },
};

/** @example metaRoutes(app, context) // after every other route, so the document holds them all */
export function metaRoutes(app: OpenAPIHono, { store, config }: RouteContext): void {
  app.openapi(healthRoute, async (c) => {
    await store.ping();
    const storage = await storageOf({ store, config });
    if (storage.state === 'full') throw new ProblemError(503, storage.detail);
    return c.json(
      storage.state === 'warning' ? { status: 'ok' as const, warning: storage.detail } : { status: 'ok' as const },
      200,
    );
  });

  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openApiDocument = () => (document ??= app.getOpenAPI31Document(OPENAPI_CONFIG));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(renderDocs(openApiDocument())));
}
