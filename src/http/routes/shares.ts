/**
 * Share links (README, "Share a location"): the owner's page stores an item's locations
 * encrypted under a key that only the link's fragment holds; whoever has the link fetches and
 * decrypts them. The owner's token (its hash stored) updates, ends as found, or revokes.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { base64UrlToBytes, bytesToBase64, bytesToBase64Url, SHARE_ID_LENGTH } from '../../../crypto/index.ts';
import { MAX_SHARE_BYTES, MAX_SHARE_DAYS } from '../../contract/limits.ts';
import {
  CreatedShare,
  CreateShareRequest,
  ShareParam,
  SharedCiphertext,
  ShareTokenRequest,
  UpdateShareRequest,
} from '../../contract/shares.ts';
import { expiryToSeconds, secondsToMs } from '../../contract/times.ts';
import { ProblemError } from '../problem.ts';
import {
  BODY_PROBLEMS,
  WRITE_PROBLEMS,
  checkExpiry,
  jsonAnswer,
  jsonBody,
  limitBody,
  problem,
  admitOwnerWrite,
  typedBody,
  type RouteContext,
} from './declare.ts';

/** The ciphertext's base64 and a little more. */
const shareBodyLimit = limitBody(Math.ceil((MAX_SHARE_BYTES * 4) / 3) + 4096);
export const SHARES_PATH = '/v1/shares';
const ONE = `${SHARES_PATH}/{share}`;
const REFUSED = { 403: problem('No live share with that id and token') } as const;

const createShareRoute = createRoute({
  method: 'post',
  path: SHARES_PATH,
  summary: 'Store an item’s encrypted locations for a share link (at most 7 days)',
  middleware: [shareBodyLimit, typedBody],
  request: jsonBody(CreateShareRequest),
  responses: { 201: jsonAnswer(CreatedShare, 'Stored'), ...WRITE_PROBLEMS },
});
const getShareRoute = createRoute({
  method: 'get',
  path: ONE,
  summary: 'The encrypted locations behind a share link',
  request: { params: ShareParam },
  responses: {
    200: jsonAnswer(SharedCiphertext, 'The ciphertext; the key is in the link’s fragment'),
    404: problem('No such share: revoked, expired, or never made'),
    410: problem('The owner found the item and ended the share'),
  },
});
const updateShareRoute = createRoute({
  method: 'put',
  path: ONE,
  summary: 'Replace a share’s encrypted locations (the owner’s page keeps it current)',
  middleware: [shareBodyLimit, typedBody],
  request: { params: ShareParam, ...jsonBody(UpdateShareRequest) },
  responses: { 200: jsonAnswer(SharedCiphertext.pick({ updatedAt: true }), 'Updated'), ...WRITE_PROBLEMS, ...REFUSED },
});
const foundShareRoute = createRoute({
  method: 'post',
  path: `${ONE}/found`,
  summary: 'End a share because the item is found; the link says so until it expires',
  middleware: [typedBody],
  request: { params: ShareParam, ...jsonBody(ShareTokenRequest) },
  responses: { 204: { description: 'Ended as found' }, ...BODY_PROBLEMS, ...REFUSED },
});
const revokeShareRoute = createRoute({
  method: 'post',
  path: `${ONE}/revoke`,
  summary: 'Revoke a share: its ciphertext is deleted now',
  middleware: [typedBody],
  request: { params: ShareParam, ...jsonBody(ShareTokenRequest) },
  responses: { 204: { description: 'Revoked' }, ...BODY_PROBLEMS, ...REFUSED },
});

/** The share routes' paths, for CORS and the query rate limit. */
export const SHARE_PATHS = [
  SHARES_PATH,
  `${SHARES_PATH}/:share`,
  `${SHARES_PATH}/:share/found`,
  `${SHARES_PATH}/:share/revoke`,
];

/** @example shareRoutes(app, context) */
export function shareRoutes(app: OpenAPIHono, context: RouteContext): void {
  const { shares, nowSeconds, nowMs } = context;
  const refused = () => new ProblemError(403, 'no live share with that id and token');

  app.openapi(createShareRoute, async (c) => {
    const { ciphertext, tokenHash, expiresAt } = c.req.valid('json');
    checkExpiry('expiresAt', expiresAt, nowMs(), MAX_SHARE_DAYS);
    await admitOwnerWrite(context, c, ciphertext.length);
    const id = randomBytes(SHARE_ID_LENGTH);
    const stored = expiryToSeconds(expiresAt);
    await shares.create(id, { ciphertext, tokenHash, expiresAt: stored }, nowSeconds());
    return c.json({ share: bytesToBase64Url(id), expiresAt: secondsToMs(stored) }, 201);
  });

  app.openapi(getShareRoute, async (c) => {
    const found = await shares.get(base64UrlToBytes(c.req.valid('param').share), nowSeconds());
    if (!found) throw new ProblemError(404, 'no such share: it was revoked, has expired, or never existed');
    if (found.found) throw new ProblemError(410, 'the owner has found the item and ended this share');
    c.header('cache-control', 'no-store');
    return c.json(
      {
        ciphertext: bytesToBase64(found.ciphertext),
        expiresAt: secondsToMs(found.expiresAt),
        updatedAt: secondsToMs(found.updatedAt),
      },
      200,
    );
  });

  app.openapi(updateShareRoute, async (c) => {
    const { ciphertext, token } = c.req.valid('json');
    await admitOwnerWrite(context, c, ciphertext.length);
    const now = nowSeconds();
    if (!(await shares.update(base64UrlToBytes(c.req.valid('param').share), sha256(token), ciphertext, now)))
      throw refused();
    return c.json({ updatedAt: secondsToMs(now) }, 200);
  });

  app.openapi(foundShareRoute, async (c) => {
    const id = base64UrlToBytes(c.req.valid('param').share);
    if (!(await shares.markFound(id, sha256(c.req.valid('json').token), nowSeconds()))) throw refused();
    return c.body(null, 204);
  });

  app.openapi(revokeShareRoute, async (c) => {
    if (!(await shares.revoke(base64UrlToBytes(c.req.valid('param').share), sha256(c.req.valid('json').token))))
      throw refused();
    return c.body(null, 204);
  });
}
