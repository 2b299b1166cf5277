/**
 * The shapes of the lost-mode routes: notices (docs/protocol.md §13) and subscriptions to the
 * arrival of reports. Bytes are decoded here, by the same strict base64 rule as every route.
 */
import { z } from '@hono/zod-openapi';
import { decodeBase64, NOTICE_LENGTH, WITHDRAW_TOKEN_LENGTH } from '../../crypto/index.ts';
import {
  DEFAULT_SUBSCRIPTION_SECONDS,
  MAX_LIVE_NOTICES_PER_ID,
  MAX_NOTICES_PER_ID,
  MAX_NOTICES_PER_REQUEST,
  MAX_QUERY_IDS,
  MAX_SUBSCRIPTION_IDS,
  MAX_SUBSCRIPTION_SECONDS,
  MAX_WEBHOOK_SECRET_LENGTH,
  MIN_WEBHOOK_SECRET_LENGTH,
} from './limits.ts';
import { decoded, HashedId } from './schemas.ts';
import { unixMs } from './times.ts';

/** Standard base64 of exactly `length` bytes. */
const fixedBytes = (length: number, what: string) =>
  decoded((text) => {
    const bytes = decodeBase64(text);
    if (typeof bytes === 'string' || bytes.length === length) return bytes;
    return `${what} is ${length} bytes, got ${bytes.length}`;
  });

const Notice = fixedBytes(NOTICE_LENGTH, 'a notice').openapi({
  type: 'string',
  description: `Standard base64 of a ${NOTICE_LENGTH}-byte sealed notice (docs/protocol.md §13)`,
});
const Sha256 = (description: string) =>
  fixedBytes(32, 'a SHA-256 hash').openapi({ type: 'string', description, pattern: '^[A-Za-z0-9+/]{43}=$' });
const WithdrawToken = fixedBytes(WITHDRAW_TOKEN_LENGTH, 'a withdraw token').openapi({
  type: 'string',
  description: 'Standard base64 of the 32-byte token whose SHA-256 was published with the notice',
});
/** The sealed notice binds its expiry in whole 32-bit seconds (docs/protocol.md §13); the wire says it ×1000. */
const ExpiresAt = unixMs('the expiry bound into the notice, a whole second (the sealed expiresAt × 1000)')
  .multipleOf(1000, { error: 'a notice expires on a whole second: its sealed expiresAt × 1000' })
  .max(0xffffffff * 1000)
  .openapi({ example: 1_767_225_600_000 });

export const PublishNoticesRequest = z
  .object({
    notices: z
      .array(
        z.object({
          id: HashedId,
          notice: Notice,
          expiresAt: ExpiresAt,
          withdrawHash: Sha256('SHA-256 of the token that withdraws this notice'),
        }),
      )
      .min(1)
      .max(MAX_NOTICES_PER_REQUEST),
  })
  .openapi('PublishNoticesRequest');

const IdList = (description: string) => z.array(z.string()).openapi({ description });

export const PublishNoticesResponse = z
  .object({
    published: IdList('Ids whose notice was stored now'),
    alreadyPublished: IdList('Ids that hold a live notice under the same withdraw hash already, which was kept'),
    refused: z
      .array(
        z.object({
          id: z.string(),
          reason: z.enum(['replayed', 'full']).openapi({
            description: `replayed: these notice bytes were published for the id before (a withdrawn notice stays withdrawn); full: the id holds ${MAX_LIVE_NOTICES_PER_ID} live notices, or ${MAX_NOTICES_PER_ID} live and withdrawn ones, under other withdraw hashes`,
          }),
        }),
      )
      .openapi({ description: 'Ids whose notice did not take, and why' }),
  })
  .openapi('PublishNoticesResponse');

export const NoticesRequest = z.object({ ids: z.array(HashedId).min(1).max(MAX_QUERY_IDS) }).openapi('NoticesRequest');

export const NoticesResponse = z
  .object({
    notices: z
      .array(z.object({ id: z.string(), notice: z.string(), expiresAt: ExpiresAt }).openapi('StoredNotice'))
      .openapi({ description: `Up to ${MAX_LIVE_NOTICES_PER_ID} per id: show the one that verifies` }),
  })
  .openapi('NoticesResponse');

export const WithdrawNoticesRequest = z
  .object({
    notices: z
      .array(z.object({ id: HashedId, token: WithdrawToken }))
      .min(1)
      .max(MAX_NOTICES_PER_REQUEST),
  })
  .openapi('WithdrawNoticesRequest');

export const WithdrawNoticesResponse = z
  .object({
    withdrawn: IdList('Ids whose notice is gone now'),
    unmatched: IdList('Ids with no live notice under that token'),
  })
  .openapi('WithdrawNoticesResponse');

const Webhook = z
  .object({
    url: z.string().max(2048).openapi({
      description: 'http or https; a loopback, link-local or private address is refused unless the operator allows it',
    }),
    secret: z.string().min(MIN_WEBHOOK_SECRET_LENGTH).max(MAX_WEBHOOK_SECRET_LENGTH).openapi({
      description: 'Key of the HMAC-SHA256 in each delivery’s Crowdfind-Signature header; the server never shows it',
    }),
  })
  .openapi('Webhook');

const TtlSeconds = z
  .number()
  .int()
  .min(60)
  .max(MAX_SUBSCRIPTION_SECONDS)
  .optional()
  .openapi({ description: `Lifetime in seconds, default ${DEFAULT_SUBSCRIPTION_SECONDS}` });

export const SubscribeRequest = z
  .object({
    ids: z.array(HashedId).min(1).max(MAX_SUBSCRIPTION_IDS),
    ttlSeconds: TtlSeconds,
    webhook: Webhook.optional(),
  })
  .openapi('SubscribeRequest');

export const RenewRequest = z
  .object({
    ids: z
      .array(HashedId)
      .min(1)
      .max(MAX_SUBSCRIPTION_IDS)
      .optional()
      .openapi({ description: 'The ids to watch from now on; default: the same ids' }),
    ttlSeconds: TtlSeconds,
  })
  .openapi('RenewRequest');

export const Subscription = z
  .object({
    subscription: z.string().openapi({ description: 'Bearer name of the subscription; keep it secret' }),
    expiresAt: unixMs('renew before then'),
    ids: z.number().int().openapi({ description: 'How many ids it watches' }),
    events: z.string().openapi({ description: 'Path of its Server-Sent Events stream' }),
  })
  .openapi('Subscription');

export const SubscriptionParam = z.object({
  subscription: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}$/)
    .openapi({ param: { name: 'subscription', in: 'path' }, description: 'The name POST /v1/subscriptions gave' }),
});
