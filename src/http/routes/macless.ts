/**
 * The endpoint the macless-haystack app calls, a drop-in for its own server
 * (docs/protocol.md §9): the reports of the last `days` days, newest first, with the CORS
 * headers and the GET and OPTIONS answers that app expects, and real errors.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppleLegacyResponse, MaclessRequest } from '../../contract/schemas.ts';
import { clampToRetained, DAY_SECONDS } from '../../rules/retention.ts';
import { answerJson, appleLegacyJson } from '../json-body.ts';
import { collectReports } from './collect-reports.ts';
import { BODY_PROBLEMS, idRequestBodyLimit, jsonAnswer, jsonBody, typedBody, type RouteContext } from './declare.ts';

export const maclessRoute = createRoute({
  method: 'post',
  path: '/compat/macless-haystack',
  summary: 'macless-haystack endpoint: reports of the last `days` days, newest first',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(MaclessRequest),
  responses: { 200: jsonAnswer(AppleLegacyResponse, 'Reports in the legacy shape, newest first'), ...BODY_PROBLEMS },
});

/** Look-back when the app names no `days`. */
const DEFAULT_DAYS = 7;

const MACLESS_CORS_HEADERS = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
  'access-control-allow-private-network': 'true',
};

/**
 * The CORS headers of macless-haystack's own server, on every answer of its route, for the
 * origins the server allows (CORS_ORIGINS): to any origin, as the original, only where that is
 * the setting.
 * @example app.use(maclessRoute.path, maclessCors(config.corsOrigins))
 */
export function maclessCors(origins: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const origin = c.req.header('origin');
    const allowed = origins.includes('*') ? '*' : origin !== undefined && origins.includes(origin) ? origin : undefined;
    if (allowed === undefined) return;
    c.res.headers.set('access-control-allow-origin', allowed);
    if (allowed !== '*') c.res.headers.append('vary', 'Origin');
    for (const [name, value] of Object.entries(MACLESS_CORS_HEADERS)) c.res.headers.set(name, value);
  };
}

/** @example maclessRoutes(app, context) */
export function maclessRoutes(app: OpenAPIHono, { store, config, nowSeconds }: RouteContext): void {
  app.openapi(maclessRoute, async (c) => {
    const { ids, days = DEFAULT_DAYS } = c.req.valid('json');
    // The app's "0: latest location only": the newest report of all it asked for, as its
    // original server answered then; the look-back is the whole retention window.
    const since = days === 0 ? undefined : (nowSeconds() - days * DAY_SECONDS) * 1000;
    const found = await collectReports(store, [
      { hashedIds: ids, window: clampToRetained(nowSeconds(), config.retentionDays, since, undefined) },
    ]);
    return answerJson(c, appleLegacyJson(days === 0 ? found.slice(-1) : found.reverse()));
  });
  app.get(maclessRoute.path, (c) => c.text('Nothing to see here'));
  app.options(maclessRoute.path, (c) => c.body(null, 200));
}
