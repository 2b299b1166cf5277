/** The shapes of the owner↔device channel's routes (docs/protocol.md §17). */
import { z } from '@hono/zod-openapi';
import { decodeBase64, MAILBOX_KEY_LENGTH } from '../../crypto/index.ts';
import {
  ATTACHMENT_CHUNK_BYTES,
  MAX_ATTACHMENT_CHUNKS,
  MAX_MAILBOX_MESSAGE_BYTES,
  MAX_MAILBOX_WAIT_SECONDS,
  MAX_STATE_DAYS,
} from './limits.ts';
import { decoded } from './schemas.ts';
import { unixMs } from './times.ts';

/** Standard base64 whose length `check` accepts (it answers why not). */
const bytes = (check: (length: number) => string | undefined) =>
  decoded((text) => {
    const value = decodeBase64(text);
    if (typeof value === 'string') return value;
    return check(value.length) ?? value;
  });

const Capability = bytes((n) =>
  n === MAILBOX_KEY_LENGTH ? undefined : `a mailbox capability is ${MAILBOX_KEY_LENGTH} bytes, got ${n}`,
).openapi({
  type: 'string',
  description: 'Standard base64 of the 32-byte capability both paired sides derive; the server files by its SHA-256',
});
const Sealed = (max: number) =>
  bytes((n) => (n >= 48 && n <= max ? undefined : `a sealed message is 48 to ${max} bytes, got ${n}`)).openapi({
    type: 'string',
    description: `Standard base64 of a sealed channel message, at most ${max} bytes`,
  });

export const PostMessageRequest = z
  .object({ capability: Capability, message: Sealed(MAX_MAILBOX_MESSAGE_BYTES) })
  .openapi('PostMessageRequest');
/** A message's number in its mailbox (times are the rule of times.ts; this is none). */
const Seq = z
  .number()
  .int()
  .openapi({ description: 'The message’s number in its mailbox: 1, 2, 3…, a counter, never a time' });
export const PostedMessage = z.object({ seq: Seq }).openapi('PostedMessage');

export const ReadMessagesRequest = z
  .object({
    capability: Capability,
    after: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .openapi({ description: 'Only messages after this seq; default 0' }),
    waitSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_MAILBOX_WAIT_SECONDS)
      .optional()
      .openapi({
        description: `When none: wait this long for one (long-poll), at most ${MAX_MAILBOX_WAIT_SECONDS}; default 0`,
      }),
  })
  .openapi('ReadMessagesRequest');
export const MailboxMessages = z
  .object({ messages: z.array(z.object({ seq: Seq, message: z.string() })) })
  .openapi('MailboxMessages');

export const SetStatesRequest = z
  .object({
    states: z
      .array(
        z.object({
          capability: Capability,
          statement: Sealed(2048),
          expiresAt: unixMs(`when the statement ends, at most ${MAX_STATE_DAYS} days ahead`),
        }),
      )
      .min(1)
      .max(MAX_STATE_DAYS),
  })
  .openapi('SetStatesRequest');
export const ReadStateRequest = z.object({ capability: Capability }).openapi('ReadStateRequest');
export const MailboxState = z
  .object({ statement: z.string().nullable().openapi({ description: 'The sealed statement, or null' }) })
  .openapi('MailboxState');

const AttachmentId = bytes((n) => (n === 16 ? undefined : `an attachment id is 16 bytes, got ${n}`)).openapi({
  type: 'string',
  description: 'Standard base64 of the 16-byte id the device chose',
});
const ChunkIndex = z
  .number()
  .int()
  .min(0)
  .max(MAX_ATTACHMENT_CHUNKS - 1)
  .openapi({ description: `0 to ${MAX_ATTACHMENT_CHUNKS - 1}` });

export const PutChunkRequest = z
  .object({
    capability: Capability,
    attachment: AttachmentId,
    index: ChunkIndex,
    chunk: bytes((n) =>
      n === ATTACHMENT_CHUNK_BYTES ? undefined : `a chunk is exactly ${ATTACHMENT_CHUNK_BYTES} bytes, got ${n}`,
    ).openapi({
      type: 'string',
      description: `Standard base64 of exactly ${ATTACHMENT_CHUNK_BYTES} bytes of ciphertext`,
    }),
  })
  .openapi('PutChunkRequest');
export const GetChunkRequest = z
  .object({ capability: Capability, attachment: AttachmentId, index: ChunkIndex })
  .openapi('GetChunkRequest');
