/**
 * The request and response shapes of the HTTP API as zod schemas. Each route is declared once
 * from them (src/http/routes/): the server validates with them and /openapi.json is generated
 * from them, so the document cannot drift from the code. Ids and payloads are decoded here, by
 * the same strict rules for every route, and reach handlers as bytes.
 */
import { z } from '@hono/zod-openapi';
import { decodeBase64, decodeHashedId } from '../../crypto/index.ts';
import { batchTooLarge, DEFAULT_QUERY_LIMIT, MAX_QUERY_IDS, MAX_QUERY_LIMIT } from './limits.ts';
import { EXAMPLE_TIME_MS, UnixMs, unixMs } from './times.ts';

/** A string field decoded by `decode`; the reason it gives for a bad text becomes the field's validation message. */
export function decoded(decode: (text: string) => Uint8Array | string) {
  return z.string().transform((text, ctx) => {
    const bytes = decode(text);
    if (typeof bytes !== 'string') return bytes;
    ctx.addIssue({ code: 'custom', message: bytes });
    return z.NEVER;
  });
}

export const HashedId = decoded(decodeHashedId).openapi({
  type: 'string',
  pattern: '^[A-Za-z0-9+/]{43}=$',
  description: 'Standard base64 of SHA-256(advertisement key), 32 bytes',
  example: 'HjdLJu9y/3OxDidx8HYz53wA4K3+X0bHMcGiDVtw9oE=',
});

const Payload = decoded(decodeBase64).openapi({
  type: 'string',
  description: 'Standard base64 of an 88- or 89-byte location report payload (docs/protocol.md §3)',
  // Report R1 of docs/vectors.json, sealed to the example hashed id's key.
  example:
    'LSWnXQIELMiPrcq2wJ6fZFS+g9bdatynGqIa8R0dYShQ0UF99OZXjcAEYFmK86a//mRYCjfKwUoUf4o/djRUEKrX/VgkGspT4VAgeVt7kwlO0a3LJjIlkw==',
});

/** Apple's clients send dates as numbers; OpenHaystack sent decimal strings. */
const AppleDate = z
  .union([UnixMs, z.string().regex(/^\d+$/).transform(Number)])
  .openapi({ type: 'integer', description: 'Unix milliseconds', example: EXAMPLE_TIME_MS });

/** One report of a JSON upload. */
export const UploadItem = z.object({ id: HashedId, payload: Payload }).openapi('UploadItem');

/**
 * A JSON upload of at most `maxBatch` reports. The count is checked before any item, and items
 * are checked in order up to the first bad one: collecting every bad item's problems made
 * refusing a body cost several times what accepting a valid one of the same size does.
 * @example uploadRequest(config.maxBatch)
 */
export function uploadRequest(maxBatch: number) {
  const reports = z
    .array(z.unknown())
    .min(1)
    .max(maxBatch, { error: (issue) => batchTooLarge(maxBatch, (issue.input as unknown[]).length) })
    .transform((items, ctx) => {
      const parsed: Array<z.output<typeof UploadItem>> = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const item = UploadItem.safeParse(items[i]);
        if (!item.success) {
          const issue = item.error.issues[0]!;
          ctx.addIssue({ code: 'custom', path: [i, ...issue.path], message: issue.message });
          return z.NEVER;
        }
        parsed[i] = item.data;
      }
      return parsed;
    })
    .openapi({ type: 'array', items: { $ref: '#/components/schemas/UploadItem' }, minItems: 1, maxItems: maxBatch });
  return z.object({ reports }).openapi('UploadRequest');
}

export const UploadResult = z
  .object({
    accepted: z.number().int().openapi({ description: 'Reports stored now', example: 1 }),
    duplicates: z
      .number()
      .int()
      .openapi({ description: 'Reports already stored (or repeated in the batch)', example: 0 }),
    rejected: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Reports over the per-id daily cap, not stored; present only when not 0' }),
  })
  .openapi('UploadResult');

/** Refuses a window whose start lies after its end: a client's mistake, not an empty answer. */
function startNotAfterEnd<K extends string>(start: K, end: K) {
  return (window: Partial<Record<K, number>>, ctx: z.core.$RefinementCtx<Partial<Record<K, number>>>) => {
    const [from, to] = [window[start], window[end]];
    if (from !== undefined && to !== undefined && from > to)
      ctx.addIssue({ code: 'custom', path: [start], message: `${from} lies after ${end}, ${to}` });
  };
}

export const QueryRequest = z
  .object({
    ids: z.array(HashedId).min(1).max(MAX_QUERY_IDS),
    since: unixMs('the earliest observation time, inclusive; default: the start of the retention window').optional(),
    until: unixMs('the latest observation time, inclusive; default: now').optional(),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_QUERY_LIMIT)
      .optional()
      .openapi({ description: `Reports per page, default ${DEFAULT_QUERY_LIMIT}` }),
    cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
  })
  .superRefine(startNotAfterEnd('since', 'until'))
  .openapi('QueryRequest');
export const QueryResponse = z
  .object({
    reports: z.array(
      z.object({
        id: HashedId,
        payload: Payload,
        timestamp: unixMs('the observation time from the report'),
        receivedAt: unixMs('when the server stored it').openapi({ example: EXAMPLE_TIME_MS + 42_000 }),
      }),
    ),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: 'Where the next page starts; null on the last page', example: null }),
  })
  .openapi('QueryResponse');

/** Refuses a request whose entries together name more than {@link MAX_QUERY_IDS} ids. */
function atMostQueryIds<T>(idsIn: (request: T) => number) {
  return (request: T, ctx: z.core.$RefinementCtx<T>) => {
    const count = idsIn(request);
    if (count > MAX_QUERY_IDS)
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_QUERY_IDS} ids per request, got ${count}` });
  };
}

export const AppleLegacyRequest = z
  .object({
    search: z
      .array(
        z
          .object({ startDate: AppleDate.optional(), endDate: AppleDate.optional(), ids: z.array(HashedId).min(1) })
          .superRefine(startNotAfterEnd('startDate', 'endDate')),
      )
      .min(1)
      .max(MAX_QUERY_IDS),
  })
  .superRefine(atMostQueryIds((request) => request.search.reduce((n, s) => n + s.ids.length, 0)))
  .openapi('AppleLegacyFetchRequest');
const AppleResult = z.object({
  datePublished: z
    .number()
    .int()
    .openapi({ description: 'When the server stored it, Unix ms', example: EXAMPLE_TIME_MS + 42_000 }),
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
        z
          .object({
            primaryIds: z.array(HashedId).default([]),
            secondaryIds: z.array(HashedId).default([]),
            startDate: AppleDate.optional(),
            startDateSecondary: AppleDate.optional(),
            endDate: AppleDate.optional(),
          })
          .superRefine(startNotAfterEnd('startDate', 'endDate'))
          .superRefine(startNotAfterEnd('startDateSecondary', 'endDate')),
      )
      .min(1)
      .max(MAX_QUERY_IDS),
  })
  .superRefine(
    atMostQueryIds((request) => request.fetch.reduce((n, f) => n + f.primaryIds.length + f.secondaryIds.length, 0)),
  )
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
    days: z.number().int().min(0).optional().openapi({
      description: 'Look-back in days, default 7; 0 asks for the latest report only, as the app offers',
    }),
  })
  .openapi('MaclessHaystackRequest');

const BudgetUse = z.object({ bytes: z.number().int().nullable(), budgetBytes: z.number().int() });

export const Health = z
  .object({
    status: z.literal('ok'),
    warning: z.string().optional().openapi({ description: 'Present when a store nears or reaches its storage budget' }),
    budgets: z.object({ reports: BudgetUse.optional(), ownerStores: BudgetUse.optional() }).optional().openapi({
      description:
        'Each storage budget that is set: `reports` (STORAGE_BUDGET_MB) and `ownerStores`, the notices, shares and mailboxes anyone may write to (OWNER_STORAGE_BUDGET_MB); `bytes` is null where the runtime cannot tell',
    }),
  })
  .openapi('Health');

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    index: z.number().int().optional().openapi({ description: 'For uploads: the position of the first bad report' }),
  })
  .openapi('Problem');
