/**
 * The request and response shapes of the HTTP API, as zod schemas: handlers validate with
 * them and /openapi.json is generated from them, so the document cannot drift from the code.
 */
import { z } from '@hono/zod-openapi';

/** Most ids an owner may ask for in one request. */
export const MAX_QUERY_IDS = 2048;
/** Most reports one page of /v1/reports/query returns. */
export const MAX_QUERY_LIMIT = 10_000;
export const DEFAULT_QUERY_LIMIT = 1000;

export const HashedId = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be standard base64 of 32 bytes (44 characters)')
  .openapi({
    description: 'Standard base64 of SHA-256(advertisement key), 32 bytes',
    example: 'HjdLJu9y/3OxDidx8HYz53wA4K3+X0bHMcGiDVtw9oE=',
  });

const Payload = z.string().openapi({ description: 'Standard base64 of an 88- or 89-byte location report (SPEC §3)' });
const UnixMs = z.number().int().nonnegative();
/** Apple's clients send dates as numbers; OpenHaystack sent decimal strings. */
const AppleDate = z
  .union([UnixMs, z.string().regex(/^\d+$/).transform(Number)])
  .openapi({ type: 'integer', description: 'Unix milliseconds' });

export const UploadRequest = z
  .object({ reports: z.array(z.object({ id: z.string(), payload: Payload })).min(1) })
  .openapi('UploadRequest');
export const UploadResult = z
  .object({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Reports over the per-id daily cap, not stored; present only when not 0' }),
  })
  .openapi('UploadResult');

export const QueryRequest = z
  .object({
    ids: z.array(HashedId).min(1).max(MAX_QUERY_IDS),
    since: UnixMs.optional().openapi({
      description: 'Earliest observation time, Unix ms, inclusive; default: the start of the retention window',
    }),
    until: UnixMs.optional().openapi({ description: 'Latest observation time, Unix ms, inclusive; default: now' }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_QUERY_LIMIT)
      .optional()
      .openapi({ description: `Reports per page, default ${DEFAULT_QUERY_LIMIT}` }),
    cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
  })
  .openapi('QueryRequest');
export const QueryResponse = z
  .object({
    reports: z.array(
      z.object({
        id: HashedId,
        payload: Payload,
        timestamp: z.number().int().openapi({ description: 'Observation time from the report, Unix ms' }),
        receivedAt: z.number().int().openapi({ description: 'When the server stored it, Unix ms' }),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('QueryResponse');

export const AppleLegacyRequest = z
  .object({
    search: z
      .array(
        z.object({ startDate: AppleDate.optional(), endDate: AppleDate.optional(), ids: z.array(HashedId).min(1) }),
      )
      .min(1),
  })
  .openapi('AppleLegacyFetchRequest');
const AppleResult = z.object({
  datePublished: z.number().int(),
  payload: Payload,
  description: z.literal('found'),
  id: HashedId,
  statusCode: z.literal(0),
});
export const AppleLegacyResponse = z
  .object({ statusCode: z.literal('200'), results: z.array(AppleResult) })
  .openapi('AppleLegacyFetchResponse');

export const AppleV2Request = z
  .object({
    clientContext: z.unknown().optional(),
    fetch: z
      .array(
        z.object({
          primaryIds: z.array(HashedId).default([]),
          secondaryIds: z.array(HashedId).default([]),
          startDate: AppleDate.optional(),
          startDateSecondary: AppleDate.optional(),
          endDate: AppleDate.optional(),
        }),
      )
      .min(1),
  })
  .openapi('AppleV2FetchRequest');
export const AppleV2Response = z
  .object({
    acsnLocations: z.object({
      statusCode: z.literal('200'),
      locationPayload: z.array(z.object({ id: HashedId, locationInfo: z.array(Payload) })),
    }),
  })
  .openapi('AppleV2FetchResponse');

export const MaclessRequest = z
  .object({
    ids: z.array(HashedId).min(1).max(MAX_QUERY_IDS),
    days: z.number().int().min(1).optional().openapi({ description: 'Look-back in days, default 7' }),
  })
  .openapi('MaclessHaystackRequest');

export const Health = z.object({ status: z.literal('ok') }).openapi('Health');

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    index: z.number().int().optional(),
  })
  .openapi('Problem');
