/**
 * Notify-when-found: an owner subscribes to the hashed ids of a lost item and hears of each new
 * report of them as a Server-Sent Event and, if asked, a signed webhook. Reports arrive still
 * sealed; the owner decrypts. The subscription's name is a bearer secret: whoever holds it may
 * read its events, renew or cancel it.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { RenewRequest, SubscribeRequest, Subscription, SubscriptionParam } from '../../contract/lost-mode.ts';
import { SubscriptionError, type SubscriptionInfo } from '../../notify/hub.ts';
import { webhookTarget } from '../../notify/webhook-target.ts';
import { secondsToMs } from '../../contract/times.ts';
import { ProblemError } from '../problem.ts';
import {
  BODY_PROBLEMS,
  idRequestBodyLimit,
  jsonAnswer,
  jsonBody,
  problem,
  typedBody,
  type RouteContext,
} from './declare.ts';

export const SUBSCRIPTIONS_PATH = '/v1/subscriptions';
const NAMED = `${SUBSCRIPTIONS_PATH}/{subscription}`;
const GONE = { 404: problem('No such subscription: it expired, was cancelled, or the server restarted') } as const;

const subscribeRoute = createRoute({
  method: 'post',
  path: SUBSCRIPTIONS_PATH,
  summary: 'Subscribe to the arrival of reports for hashed ids (Server-Sent Events, optional signed webhook)',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(SubscribeRequest),
  responses: {
    201: jsonAnswer(Subscription, 'Subscribed; open `events` to listen'),
    ...BODY_PROBLEMS,
    409: problem('This server delivers no webhooks'),
  },
});

const renewRoute = createRoute({
  method: 'put',
  path: NAMED,
  summary: 'Renew a subscription, optionally replacing its ids (as rolling keys advance)',
  middleware: [idRequestBodyLimit, typedBody],
  request: { params: SubscriptionParam, ...jsonBody(RenewRequest) },
  responses: { 200: jsonAnswer(Subscription, 'Renewed'), ...BODY_PROBLEMS, ...GONE },
});

const cancelRoute = createRoute({
  method: 'delete',
  path: NAMED,
  summary: 'End a subscription and its streams',
  request: { params: SubscriptionParam },
  responses: { 204: { description: 'Ended' }, ...GONE },
});

const eventsRoute = createRoute({
  method: 'get',
  path: `${NAMED}/events`,
  summary: 'The subscription’s reports as Server-Sent Events (`reports`, then `end` when it expires)',
  request: { params: SubscriptionParam },
  responses: {
    200: {
      description:
        'text/event-stream; each `reports` event’s data is `{"reports":[{id, payload, timestamp, receivedAt}]}`, times in Unix ms',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    ...GONE,
    409: problem('The subscription has as many streams open as it may'),
  },
});

/** The subscription routes' paths, for the app's CORS (a page may open the event stream). */
export const SUBSCRIPTION_PATHS = [
  SUBSCRIPTIONS_PATH,
  `${SUBSCRIPTIONS_PATH}/:subscription`,
  `${SUBSCRIPTIONS_PATH}/:subscription/events`,
];

/** The hub counts whole seconds; the wire says milliseconds (src/contract/times.ts). */
const answer = (info: SubscriptionInfo) => ({
  ...info,
  expiresAt: secondsToMs(info.expiresAt),
  events: `${SUBSCRIPTIONS_PATH}/${info.subscription}/events`,
});

/** The hub's refusals as problems. */
async function hubCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SubscriptionError) throw new ProblemError(error.status, error.message);
    throw error;
  }
}

/** @example subscriptionRoutes(app, context) */
export function subscriptionRoutes(app: OpenAPIHono, { notifier, config, clientOf }: RouteContext): void {
  app.openapi(subscribeRoute, async (c) => {
    const body = c.req.valid('json');
    if (body.webhook) webhookTarget(body.webhook.url, config.webhookAllowPrivate);
    const info = await hubCall(() =>
      notifier.subscribe({
        hashedIds: body.ids,
        client: clientOf(c),
        ...(body.ttlSeconds ? { ttlSeconds: body.ttlSeconds } : {}),
        ...(body.webhook ? { webhook: body.webhook } : {}),
      }),
    );
    return c.json(answer(info), 201);
  });

  app.openapi(renewRoute, async (c) => {
    const { subscription } = c.req.valid('param');
    const body = c.req.valid('json');
    const info = await hubCall(() =>
      notifier.renew(subscription, {
        ...(body.ids ? { hashedIds: body.ids } : {}),
        ...(body.ttlSeconds ? { ttlSeconds: body.ttlSeconds } : {}),
      }),
    );
    return c.json(answer(info), 200);
  });

  app.openapi(cancelRoute, async (c) => {
    await hubCall(() => notifier.cancel(c.req.valid('param').subscription));
    return c.body(null, 204);
  });

  app.openapi(eventsRoute, async (c) => {
    const stream = await hubCall(() => notifier.events(c.req.valid('param').subscription));
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
    }) as never;
  });
}
