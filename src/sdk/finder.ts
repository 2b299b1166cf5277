/**
 * The finder's side: seal a location report to the key an accessory broadcast, and upload
 * sealed reports in batches with retries (safe: the server stores a repeated report once).
 */
import {
  hashedIdOf,
  nobleP224,
  sealReport,
  type LocationReport,
  type P224Engine,
  type SealedReport,
} from '../../crypto/index.ts';
import { encodeBinaryUpload } from '../contract/binary-upload.ts';
import { post, type HttpOptions } from './http.ts';

/**
 * Seals what a finder saw to the accessory's 28-byte advertisement key.
 * @example sealForUpload(advertisementKey, { timestamp: new Date(), confidence: 2, latitude, longitude, accuracy: 10, status: 0 }, await sdkP224())
 */
export function sealForUpload(
  advertisementKey: Uint8Array,
  report: LocationReport,
  engine: P224Engine = nobleP224,
): SealedReport {
  return { hashedId: hashedIdOf(advertisementKey), payload: sealReport(advertisementKey, report, { engine }) };
}

export interface UploadOptions extends HttpOptions {
  /** Reports per request, at most the server's MAX_BATCH. Default 1,000. */
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Stops the upload before its next batch; the totals say how far it went. */
  readonly signal?: AbortSignal;
}

/** What an upload did, summed over its batches: stored, already stored, and turned away by the per-id daily cap. */
export interface UploadTotals {
  readonly accepted: number;
  readonly duplicates: number;
  /** Reports the server did not store because their id had reached its daily cap; 0 when none. */
  readonly rejected: number;
}

/**
 * Uploads sealed reports as binary batches, in order; resolves to the server's totals, which
 * together count every report uploaded (all of them, unless `signal` stopped it). Reports the
 * server turned away are counted in `rejected`, never dropped from the totals.
 * @example const { accepted, rejected } = await uploadReports('http://127.0.0.1:3000', sealedReports)
 */
export async function uploadReports(
  server: string,
  reports: readonly SealedReport[],
  options: UploadOptions = {},
): Promise<UploadTotals> {
  const batchSize = options.batchSize ?? 1000;
  const total = { accepted: 0, duplicates: 0, rejected: 0 };
  for (let i = 0; i < reports.length && !options.signal?.aborted; i += batchSize) {
    const batch = reports.slice(i, i + batchSize);
    const result = (await post(
      server,
      '/v1/reports',
      encodeBinaryUpload(batch),
      'application/octet-stream',
      options,
    )) as { accepted: number; duplicates: number; rejected?: number };
    total.accepted += result.accepted;
    total.duplicates += result.duplicates;
    total.rejected += result.rejected ?? 0;
    options.onProgress?.(i + batch.length, reports.length);
  }
  return total;
}
