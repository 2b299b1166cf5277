/**
 * Apple's fetch APIs, for clients written against them: the legacy `acsnservice/fetch` and the
 * current `findmyservice/v2/fetch` that FindMy.py calls. Every matching report, no cursors.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { bytesToBase64 } from '../../../crypto/index.ts';
import { AppleLegacyRequest, AppleLegacyResponse, AppleV2Request, AppleV2Response } from '../../contract/schemas.ts';
import { clampToRetained } from '../../rules/retention.ts';
import type { StoredReport } from '../../storage/store.ts';
import { answerJson, appleLegacyJson, appleV2Json } from '../json-body.ts';
import { collectReports } from './collect-reports.ts';
import { BODY_PROBLEMS, idRequestBodyLimit, jsonAnswer, jsonBody, typedBody, type RouteContext } from './declare.ts';

export const appleLegacyFetchRoute = createRoute({
  method: 'post',
  path: '/acsnservice/fetch',
  summary: "Apple's legacy fetch API (acsnservice), for clients written against it",
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(AppleLegacyRequest),
  responses: { 200: jsonAnswer(AppleLegacyResponse, 'Reports in Apple’s legacy shape'), ...BODY_PROBLEMS },
});

export const appleV2FetchRoute = createRoute({
  method: 'post',
  path: '/findmyservice/v2/fetch',
  summary: "Apple's current fetch API (findmyservice v2)",
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(AppleV2Request),
  responses: { 200: jsonAnswer(AppleV2Response, 'Reports grouped by id, in Apple’s v2 shape'), ...BODY_PROBLEMS },
});

/** @example appleRoutes(app, context) */
export function appleRoutes(app: OpenAPIHono, { store, config, nowSeconds }: RouteContext): void {
  const window = (since: number | undefined, until: number | undefined) =>
    clampToRetained(nowSeconds(), config.retentionDays, since, until);

  app.openapi(appleLegacyFetchRoute, async (c) => {
    const lookups = c.req
      .valid('json')
      .search.map((s) => ({ hashedIds: s.ids, window: window(s.startDate, s.endDate) }));
    return answerJson(c, appleLegacyJson(await collectReports(store, lookups)));
  });

  app.openapi(appleV2FetchRoute, async (c) => {
    const lookups = c.req.valid('json').fetch.flatMap((f) => [
      { hashedIds: f.primaryIds, window: window(f.startDate, f.endDate) },
      { hashedIds: f.secondaryIds, window: window(f.startDateSecondary ?? f.startDate, f.endDate) },
    ]);
    // Reports grouped by id, in the order ids first appear in the request.
    const byId = new Map(lookups.flatMap((l) => l.hashedIds).map((id) => [bytesToBase64(id), [] as StoredReport[]]));
    for (const r of await collectReports(store, lookups)) byId.get(bytesToBase64(r.hashedId))!.push(r);
    return answerJson(c, appleV2Json([...byId.values()].filter((group) => group.length > 0)));
  });
}
