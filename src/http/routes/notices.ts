/**
 * Lost-mode notices (docs/protocol.md §13): the owner publishes and withdraws them, a finder
 * fetches the few stored for the key it received and shows the one that verifies. The server
 * checks shapes, lengths and times; it cannot read a notice, so it checks nothing of what one says.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { bytesToBase64, withdrawHashOf } from '../../../crypto/index.ts';
import { MAX_LIVE_NOTICES_PER_ID, MAX_NOTICE_DAYS } from '../../contract/limits.ts';
import {
  NoticesRequest,
  NoticesResponse,
  PublishNoticesRequest,
  PublishNoticesResponse,
  WithdrawNoticesRequest,
  WithdrawNoticesResponse,
} from '../../contract/lost-mode.ts';
import { expiryToSeconds, secondsToMs } from '../../contract/times.ts';
import { ProblemError } from '../problem.ts';
import {
  BODY_PROBLEMS,
  checkExpiry,
  jsonAnswer,
  jsonBody,
  limitBody,
  problem,
  admitOwnerWrite,
  typedBody,
  WRITE_PROBLEMS,
  type RouteContext,
} from './declare.ts';

/** A full publish request is about 700 × 600 bytes of JSON. */
const noticeBodyLimit = limitBody(512 * 1024);

export const publishNoticesRoute = createRoute({
  method: 'post',
  path: '/v1/notices',
  summary: `Publish lost-mode notices: up to ${MAX_LIVE_NOTICES_PER_ID} live per hashed id, each under its own withdraw hash; none is ever replaced`,
  middleware: [noticeBodyLimit, typedBody],
  request: jsonBody(PublishNoticesRequest),
  responses: {
    200: jsonAnswer(PublishNoticesResponse, 'What was stored, what was kept, and what did not take and why'),
    ...WRITE_PROBLEMS,
  },
});

export const findNoticesRoute = createRoute({
  method: 'post',
  path: '/v1/notices/query',
  summary: 'Fetch the live notices of hashed ids (a finder asks for the key it received)',
  middleware: [noticeBodyLimit, typedBody],
  request: jsonBody(NoticesRequest),
  responses: { 200: jsonAnswer(NoticesResponse, 'The live notices among those ids'), ...BODY_PROBLEMS },
});

export const withdrawNoticesRoute = createRoute({
  method: 'post',
  path: '/v1/notices/withdraw',
  summary: 'Withdraw notices by presenting the token whose SHA-256 was published with each',
  middleware: [noticeBodyLimit, typedBody],
  request: jsonBody(WithdrawNoticesRequest),
  responses: {
    200: jsonAnswer(WithdrawNoticesResponse, 'What was withdrawn'),
    ...BODY_PROBLEMS,
    403: problem('No notice matched its id and token'),
  },
});

/** @example noticeRoutes(app, context) */
export function noticeRoutes(app: OpenAPIHono, context: RouteContext): void {
  const { notices, nowSeconds, nowMs } = context;
  app.openapi(publishNoticesRoute, async (c) => {
    const now = nowSeconds();
    const items = c.req.valid('json').notices;
    const checkedAt = nowMs();
    items.forEach((item, i) => checkExpiry(`notices.${i}.expiresAt`, item.expiresAt, checkedAt, MAX_NOTICE_DAYS));
    await admitOwnerWrite(
      context,
      c,
      items.reduce((sum, item) => sum + item.notice.length, 0),
    );
    const outcome = await notices.publish(
      // A whole second (the contract checks it), so storage keeps exactly the expiry the notice binds.
      items.map((n) => ({
        hashedId: n.id,
        notice: n.notice,
        expiresAt: expiryToSeconds(n.expiresAt),
        withdrawHash: n.withdrawHash,
      })),
      now,
    );
    const reasons = new Map(outcome.refused.map((r) => [bytesToBase64(r.hashedId), r.reason]));
    const ids = [...new Set(items.map((n) => bytesToBase64(n.id)))];
    return c.json(
      {
        published: outcome.stored.map(bytesToBase64),
        alreadyPublished: ids.filter((id) => reasons.get(id) === 'kept'),
        refused: ids.flatMap((id) => {
          const reason = reasons.get(id);
          return reason === 'replayed' || reason === 'full' ? [{ id, reason }] : [];
        }),
      },
      200,
    );
  });

  app.openapi(findNoticesRoute, async (c) => {
    const found = await notices.find(c.req.valid('json').ids, nowSeconds());
    return c.json(
      {
        notices: found.map((n) => ({
          id: bytesToBase64(n.hashedId),
          notice: bytesToBase64(n.notice),
          expiresAt: secondsToMs(n.expiresAt),
        })),
      },
      200,
    );
  });

  app.openapi(withdrawNoticesRoute, async (c) => {
    const items = c.req.valid('json').notices;
    const withdrawn = new Set(
      (await notices.withdraw(items.map((n) => ({ hashedId: n.id, withdrawHash: withdrawHashOf(n.token) })))).map(
        bytesToBase64,
      ),
    );
    if (withdrawn.size === 0) throw new ProblemError(403, 'no notice matched its id and withdraw token');
    const ids = [...new Set(items.map((n) => bytesToBase64(n.id)))];
    return c.json(
      { withdrawn: ids.filter((id) => withdrawn.has(id)), unmatched: ids.filter((id) => !withdrawn.has(id)) },
      200,
    );
  });
}
