/**
 * The owner↔device channel (docs/protocol.md §17): sealed messages posted to and read from
 * mailboxes, and a device's lost state. A request presents a mailbox's capability; the server
 * files by its SHA-256, so the ids it keeps do not let anyone post or read, and without the
 * pairing nobody can name a paired device's mailbox at all. Reads may wait for a message
 * (long-poll), parked without a query until a post wakes them.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { bytesToBase64, bytesToHex, mailboxIdOf } from '../../../crypto/index.ts';
import {
  ATTACHMENT_CHUNK_BYTES,
  MAILBOX_MESSAGE_SECONDS,
  MAX_MAILBOX_CHUNKS,
  MAX_MAILBOX_MESSAGES,
  MAX_STATE_DAYS,
} from '../../contract/limits.ts';
import {
  GetChunkRequest,
  MailboxMessages,
  PutChunkRequest,
  MailboxState,
  PostedMessage,
  PostMessageRequest,
  ReadMessagesRequest,
  ReadStateRequest,
  SetStatesRequest,
} from '../../contract/mailboxes.ts';
import { expiryToSeconds } from '../../contract/times.ts';
import { ProblemError } from '../problem.ts';
import {
  BODY_PROBLEMS,
  checkExpiry,
  idRequestBodyLimit,
  jsonAnswer,
  jsonBody,
  limitBody,
  problem,
  admitOwnerWrite,
  typedBody,
  WRITE_PROBLEMS,
  type RouteContext,
} from './declare.ts';

/** Messages one read returns at most. */
const READ_LIMIT = 100;

const postRoute = createRoute({
  method: 'post',
  path: '/v1/mailboxes/messages',
  summary: 'Post a sealed message to a mailbox',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(PostMessageRequest),
  responses: {
    201: jsonAnswer(PostedMessage, 'Filed; its number in the mailbox'),
    ...WRITE_PROBLEMS,
    429: problem(`The mailbox holds ${MAX_MAILBOX_MESSAGES} messages; more when they expire`),
  },
});
const readRoute = createRoute({
  method: 'post',
  path: '/v1/mailboxes/messages/read',
  summary: 'Read a mailbox’s messages after a number, waiting for one if asked (long-poll)',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(ReadMessagesRequest),
  responses: {
    200: jsonAnswer(MailboxMessages, 'Messages, oldest first; empty when none came in time'),
    ...BODY_PROBLEMS,
  },
});
const setStatesRoute = createRoute({
  method: 'post',
  path: '/v1/mailboxes/states',
  summary: 'Set a device’s lost state: the owner’s sealed statement, one per day’s state mailbox',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(SetStatesRequest),
  responses: { 204: { description: 'Set' }, ...WRITE_PROBLEMS },
});
const readStateRoute = createRoute({
  method: 'post',
  path: '/v1/mailboxes/states/read',
  summary: 'A device asks whether it is lost: the statement in its state mailbox, if any',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(ReadStateRequest),
  responses: { 200: jsonAnswer(MailboxState, 'The statement or null'), ...BODY_PROBLEMS },
});

/** A chunk's JSON body: its base64 and a little more. */
const chunkBodyLimit = limitBody(Math.ceil((ATTACHMENT_CHUNK_BYTES * 4) / 3) + 1024);
const putChunkRoute = createRoute({
  method: 'post',
  path: '/v1/mailboxes/attachments',
  summary: 'Upload one fixed-size chunk of an encrypted attachment (a photo) to a mailbox',
  middleware: [chunkBodyLimit, typedBody],
  request: jsonBody(PutChunkRequest),
  responses: {
    201: { description: 'Stored' },
    ...WRITE_PROBLEMS,
    429: problem(`The mailbox holds ${MAX_MAILBOX_CHUNKS} chunks (32 MiB a day); more when they expire`),
  },
});
const getChunkRoute = createRoute({
  method: 'post',
  path: '/v1/mailboxes/attachments/read',
  summary: 'Download one chunk of an attachment',
  middleware: [idRequestBodyLimit, typedBody],
  request: jsonBody(GetChunkRequest),
  responses: {
    200: {
      description: 'The chunk',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    ...BODY_PROBLEMS,
    404: problem('No such chunk in this mailbox (or it expired)'),
  },
});

/** The channel's paths, for CORS and the query rate limit. */
export const MAILBOX_PATHS = [postRoute, readRoute, setStatesRoute, readStateRoute, putChunkRoute, getChunkRoute].map(
  (route) => route.path,
);

/** @example mailboxRoutes(app, context) */
export function mailboxRoutes(app: OpenAPIHono, context: RouteContext): void {
  const { mailboxes, attachments, notifier, nowSeconds, nowMs } = context;
  app.openapi(postRoute, async (c) => {
    const { capability, message } = c.req.valid('json');
    await admitOwnerWrite(context, c, message.length);
    const mailbox = mailboxIdOf(capability);
    const now = nowSeconds();
    const seq = await mailboxes.post(mailbox, message, now + MAILBOX_MESSAGE_SECONDS, MAX_MAILBOX_MESSAGES, now);
    if (seq === undefined)
      throw new ProblemError(429, `the mailbox holds ${MAX_MAILBOX_MESSAGES} messages; they expire after 3 days`);
    await notifier.mailArrived(bytesToHex(mailbox));
    return c.json({ seq }, 201);
  });

  app.openapi(readRoute, async (c) => {
    const { capability, after = 0, waitSeconds = 0 } = c.req.valid('json');
    const mailbox = mailboxIdOf(capability);
    let messages = await mailboxes.read(mailbox, after, READ_LIMIT, nowSeconds());
    if (messages.length === 0 && waitSeconds > 0) {
      await notifier.waitForMail(bytesToHex(mailbox), waitSeconds * 1000);
      messages = await mailboxes.read(mailbox, after, READ_LIMIT, nowSeconds());
    }
    return c.json({ messages: messages.map((m) => ({ seq: m.seq, message: bytesToBase64(m.message) })) }, 200);
  });

  app.openapi(setStatesRoute, async (c) => {
    const now = nowMs();
    const states = c.req.valid('json').states;
    states.forEach((state, i) => checkExpiry(`states.${i}.expiresAt`, state.expiresAt, now, MAX_STATE_DAYS));
    await admitOwnerWrite(
      context,
      c,
      states.reduce((sum, state) => sum + state.statement.length, 0),
    );
    await mailboxes.setStates(
      states.map((s) => ({
        mailbox: mailboxIdOf(s.capability),
        statement: s.statement,
        expiresAt: expiryToSeconds(s.expiresAt),
      })),
    );
    return c.body(null, 204);
  });

  app.openapi(readStateRoute, async (c) => {
    const statement = await mailboxes.state(mailboxIdOf(c.req.valid('json').capability), nowSeconds());
    return c.json({ statement: statement ? bytesToBase64(statement) : null }, 200);
  });

  app.openapi(putChunkRoute, async (c) => {
    const { capability, attachment, index, chunk } = c.req.valid('json');
    await admitOwnerWrite(context, c, chunk.length);
    const now = nowSeconds();
    const stored = await attachments.put(
      { mailbox: mailboxIdOf(capability), attachment, index },
      chunk,
      now + MAILBOX_MESSAGE_SECONDS,
      MAX_MAILBOX_CHUNKS,
    );
    if (!stored)
      throw new ProblemError(429, `the mailbox holds ${MAX_MAILBOX_CHUNKS} chunks; they expire after 3 days`);
    return c.body(null, 201);
  });

  app.openapi(getChunkRoute, async (c) => {
    const { capability, attachment, index } = c.req.valid('json');
    const chunk = await attachments.get({ mailbox: mailboxIdOf(capability), attachment, index }, nowSeconds());
    if (!chunk) throw new ProblemError(404, 'no such chunk in this mailbox (or it expired)');
    return new Response(chunk as BodyInit, { headers: { 'content-type': 'application/octet-stream' } }) as never;
  });
}
