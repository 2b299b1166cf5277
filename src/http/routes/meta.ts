/**
 * Routes about the server itself: health for monitors, the OpenAPI document, and its
 * rendering for people at /docs.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { Health } from '../../contract/schemas.ts';
import { renderDocs } from '../docs.ts';
import { ProblemError } from '../problem.ts';
import { BUDGETS, type BudgetName } from '../../rules/storage-budget.ts';
import { budgetOf, jsonAnswer, storageOf, STORAGE_PROBLEMS, type RouteContext } from './declare.ts';

/** Health's path: the app leaves it out of the request limits, for monitors. */
export const HEALTH_PATH = '/v1/health';

const healthRoute = createRoute({
  method: 'get',
  path: HEALTH_PATH,
  summary: 'Whether the database answers, and how near its stores are to their storage budgets',
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
export function metaRoutes(app: OpenAPIHono, context: RouteContext): void {
  app.openapi(healthRoute, async (c) => {
    await context.store.ping();
    const names = Object.keys(BUDGETS) as BudgetName[];
    const states = await Promise.all(names.map((name) => storageOf(context, name)));
    // Reports past their budget stop the network: that is unhealthy. Full owner stores are a warning.
    if (states[0]!.state === 'full') throw new ProblemError(503, states[0]!.detail);
    const warnings = states.flatMap((s) => (s.state === 'ok' ? [] : [s.detail]));
    const budgeted = names.filter((name) => budgetOf(context.config, name) > 0);
    const use = budgeted.length > 0 ? await context.storage.use() : {};
    const budgets: Partial<Record<BudgetName, { bytes: number | null; budgetBytes: number }>> = Object.fromEntries(
      budgeted.map((name) => [name, { bytes: use[name] ?? null, budgetBytes: budgetOf(context.config, name) }]),
    );
    return c.json(
      {
        status: 'ok' as const,
        ...(warnings.length > 0 ? { warning: warnings.join('; ') } : {}),
        ...(budgeted.length > 0 ? { budgets } : {}),
      },
      200,
    );
  });

  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openApiDocument = () => (document ??= app.getOpenAPI31Document(OPENAPI_CONFIG));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(renderDocs(openApiDocument())));
}
