/**
 * The finder's route: `POST /v1/reports`, sealed reports as JSON or as binary records, all or
 * nothing.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { FormatError } from '../../../crypto/index.ts';
import { BINARY_RECORD_LENGTH, binaryRecordCount } from '../../contract/binary-upload.ts';
import { batchTooLarge } from '../../contract/limits.ts';
import { UploadItem, UploadResult, uploadRequest } from '../../contract/schemas.ts';
import { retainedWindow } from '../../rules/retention.ts';
import { UploadItemError, validateBinaryUpload, validateUploadItem } from '../../rules/upload.ts';
import type { ObservedReport } from '../../storage/store.ts';
import { invalidRequest } from '../problem.ts';
import { jsonAnswer, limitBody, refuseWhenFull, typedBody, WRITE_PROBLEMS, type RouteContext } from './declare.ts';

/**
 * The binary body, described for OpenAPI only: binaryUpload reads it before validation, so no
 * value ever reaches the handler through it (hence never).
 */
const BINARY_UPLOAD_SCHEMA = z.never().openapi({
  type: 'string',
  format: 'binary',
  description: `Concatenated ${BINARY_RECORD_LENGTH}-byte records: 32-byte hashed id, 88-byte payload`,
});

export const UPLOAD_PATH = '/v1/reports';

/** The upload route for a server whose batches hold at most `maxBatch` reports. */
function uploadRoute(maxBatch: number) {
  return createRoute({
    method: 'post',
    path: UPLOAD_PATH,
    summary: 'Upload sealed location reports (JSON or 120-byte binary records), all or nothing',
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: uploadRequest(maxBatch) },
          'application/octet-stream': { schema: BINARY_UPLOAD_SCHEMA },
        },
      },
    },
    responses: { 200: jsonAnswer(UploadResult, 'Stored; duplicates were already present'), ...WRITE_PROBLEMS },
  });
}

/**
 * Bytes the body cap allows a JSON upload item, whitespace included: compact, one is about 180;
 * pretty-printed with 8-space indents about 280. A batch of the most items, each within this,
 * is never refused for its size; the 413 says the cap in bytes.
 */
export const JSON_BYTES_PER_UPLOAD_ITEM = 512;
/** Room past the items for the rest of a body (`{"reports": [...]}` and its whitespace). */
const BODY_SLACK_BYTES = 1024;

/** Whether a request's body is binary records rather than JSON. */
const isBinary = (c: Context) =>
  (c.req.header('content-type') ?? '').toLowerCase().startsWith('application/octet-stream');

/**
 * The upload's body cap, by its type: every batch of at most `maxBatch` reports fits, binary
 * records exactly, JSON with room for whitespace. A Content-Length past it is refused before
 * any of the body is read (and, on Node, before `100 Continue`).
 */
function uploadBodyLimit(maxBatch: number): MiddlewareHandler {
  const binary = limitBody(
    maxBatch * BINARY_RECORD_LENGTH + BODY_SLACK_BYTES,
    `MAX_BATCH ${maxBatch} records of ${BINARY_RECORD_LENGTH} bytes`,
  );
  const json = limitBody(
    maxBatch * JSON_BYTES_PER_UPLOAD_ITEM + BODY_SLACK_BYTES,
    `MAX_BATCH ${maxBatch} reports of at most ${JSON_BYTES_PER_UPLOAD_ITEM} bytes of JSON each, whitespace included`,
  );
  return (c, next) => (isBinary(c) ? binary : json)(c, next);
}

/** @example finderRoutes(app, context) */
export function finderRoutes(app: OpenAPIHono, context: RouteContext): void {
  const { store, config, p224, nowSeconds, limitReports, notifier, inBackground, observer } = context;
  // The upload's items are checked one by one inside its schema, which names their shape by reference.
  app.openAPIRegistry.register('UploadItem', UploadItem);
  app.use(UPLOAD_PATH, uploadBodyLimit(config.maxBatch));

  /** Lets an upload of `count` reports go on, or throws why not: its client's report limit, the reports' storage budget. */
  const admit = async (c: Context, count: number) => {
    await limitReports(c, count);
    await refuseWhenFull(context);
  };
  const stored = async (c: Context, reports: ObservedReport[]) => {
    const receivedAt = nowSeconds();
    const { accepted, duplicates, rejected } = await store.insert(reports, receivedAt, config.maxReportsPerIdPerDay);
    observer.reportsStored({ accepted, duplicates, rejected });
    // Subscribers hear of uploads that stored something; a batch of duplicates only is a replay.
    if (accepted > 0) inBackground(c, notifier.publish(reports, receivedAt));
    // `rejected` appears only when the per-id cap turned reports away.
    return c.json(rejected > 0 ? { accepted, duplicates, rejected } : { accepted, duplicates }, 200);
  };
  // Binary bodies are read before the declaration's JSON validation, which they never reach.
  const binaryUpload: MiddlewareHandler = async (c, next) => {
    if (!isBinary(c)) return next();
    const body = new Uint8Array(await c.req.arrayBuffer());
    await admit(c, binaryRecordCount(body));
    return stored(
      c,
      validateBinaryUpload(body, retainedWindow(nowSeconds(), config.retentionDays), config.maxBatch, p224),
    );
  };

  // Every report of a JSON upload is one object, and nothing else in a valid one holds a brace
  // (its strings are base64): a body with more opening braces than a batch may have objects is
  // refused by counting them, before parsing builds hundreds of thousands of empty objects.
  const countedItems: MiddlewareHandler = async (c, next) => {
    if (!/^application\/([\w.-]+\+)?json\b/i.test(c.req.header('content-type') ?? '')) return next();
    const text = await c.req.text();
    let braces = 0;
    for (let at = text.indexOf('{'); at !== -1 && braces <= config.maxBatch + 1; at = text.indexOf('{', at + 1))
      braces++;
    if (braces > config.maxBatch + 1) throw new FormatError(`${batchTooLarge(config.maxBatch, braces - 1)} or more`);
    await next();
  };

  app.openapi(
    { ...uploadRoute(config.maxBatch), middleware: [typedBody, binaryUpload, countedItems] },
    async (c) => {
      const { reports } = c.req.valid('json');
      await admit(c, reports.length);
      const window = retainedWindow(nowSeconds(), config.retentionDays);
      return stored(
        c,
        reports.map((item, i) => validateUploadItem(i, item.id, item.payload, window, p224)),
      );
    },
    // A bad item's problem names its index, as binary uploads' do.
    (result) => {
      if (result.success) return undefined;
      const issue = result.error.issues[0]!;
      const [field, index, ...rest] = issue.path;
      if (field !== 'reports' || typeof index !== 'number') throw invalidRequest(issue);
      throw new UploadItemError(index, `${rest.length ? rest.join('.') : 'report'}: ${issue.message}`);
    },
  );
}
