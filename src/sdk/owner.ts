/**
 * The owner's side: every key a device may have used in a window, fetched in batches from a
 * server (native API with cursors, or the Apple-compatible one), decrypted locally.
 */
import {
  base64ToBytes,
  bytesToHex,
  areSelfReports,
  openReports,
  parseReport,
  type KeyCandidate,
  type LocationReport,
  type P224Engine,
} from '../../crypto/index.ts';
import { MAX_QUERY_IDS, MAX_QUERY_LIMIT } from '../contract/limits.ts';
import type { Device } from './key-files.ts';
import { post, type HttpOptions } from './http.ts';
import { sdkP224 } from './p224.ts';

/** A location report decrypted by its owner, with the device and key it belongs to. */
export interface LocatedReport extends LocationReport {
  readonly hashedId: string;
  readonly keyIndex: number;
  readonly keyKind: KeyCandidate['kind'];
  readonly device: string;
  /** Sealed by the device itself (a self-report, crowdfind beacon), not by a finder. */
  readonly selfReport: boolean;
  /** Which sealed report this is ({@link sealOf}); set for every report opened from a payload. */
  readonly seal?: string;
}

export interface LocateOptions extends HttpOptions {
  readonly server: string;
  readonly since: Date;
  readonly until: Date;
  /** `native` (default): /v1/reports/query; `apple`: /acsnservice/fetch, for any server with Apple's API. */
  readonly api?: 'native' | 'apple';
  /** The P-224 engine that derives keys and opens reports; by default the fast one ({@link sdkP224}). */
  readonly engine?: P224Engine;
  /** Called as batches of ids are fetched. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Opens the payloads of one key and marks the device's own (crypto/self-report.ts). A report that
 * does not open with its id's key is not ours to show (forged or corrupt) and is left out.
 * @example openLocated(payloads, key, 'tag', engine)
 */
export function openLocated(
  payloads: readonly Uint8Array[],
  key: KeyCandidate,
  device: string,
  engine: P224Engine,
): LocatedReport[] {
  const opened = openReports(payloads, key.privateKey, engine);
  const kept = opened.flatMap((report, i) => (report ? [{ report, payload: payloads[i]! }] : []));
  const own = areSelfReports(
    key.privateKey,
    kept.map((k) => k.payload),
    kept.map((k) => k.report),
    engine,
  );
  const located: LocatedReport[] = kept.map(({ report, payload }, i) => ({
    ...report,
    hashedId: key.hashedIdBase64,
    keyIndex: key.index,
    keyKind: key.kind,
    device,
    selfReport: own[i]!,
    ...withSeal(sealOf(key.hashedIdBase64, payload)),
  }));
  return located;
}

/** A report as the server answers it, before decryption; `receivedAt` in Unix ms. */
export type ReportJson = { readonly id: string; readonly payload: string; readonly receivedAt: number };

/** A key an owner looks reports up for, with the device it belongs to. */
export interface OwnedKey {
  readonly key: KeyCandidate;
  readonly device: string;
}

/**
 * Every key the devices may have broadcast between `since` and `until`, by hashed id (base64).
 * @example candidateKeysOf(devices, since, until, engine).size // 684 for a week of one AirTag
 */
export function candidateKeysOf(
  devices: readonly Device[],
  since: Date,
  until: Date,
  engine: P224Engine,
): Map<string, OwnedKey> {
  const candidates = new Map<string, OwnedKey>();
  for (const device of devices)
    for (const key of device.accessory.candidateKeys(since, until, engine))
      candidates.set(key.hashedIdBase64, { key, device: device.name });
  return candidates;
}

/** A stored report as the owner keeps it: bytes, and when the server received it (Unix ms). */
export type FetchedReport = { readonly id: string; readonly payload: Uint8Array; readonly receivedAt: number };

/**
 * The reports stored for these ids in the window, each sealed report once (the copy received
 * first); fetched in requests of at most MAX_QUERY_IDS ids.
 * @example const reports = await fetchReports([...candidates.keys()], { server, since, until })
 */
export async function fetchReports(ids: readonly string[], options: LocateOptions): Promise<FetchedReport[]> {
  const wanted = new Set(ids);
  const found: FetchedReport[] = [];
  for (let i = 0; i < ids.length; i += MAX_QUERY_IDS) {
    const fetched = await (options.api === 'apple' ? fetchApple : fetchNative)(
      ids.slice(i, i + MAX_QUERY_IDS),
      options,
    );
    for (const report of firstReceivedOfEachSeal(fetched)) if (wanted.has(report.id)) found.push(report);
    options.onProgress?.(Math.min(i + MAX_QUERY_IDS, ids.length), ids.length);
  }
  return found;
}

/**
 * {@link fetchReports}, grouped by id.
 * @example const payloadsById = await fetchReportsById([...candidates.keys()], { server, since, until })
 */
export async function fetchReportsById(
  ids: readonly string[],
  options: LocateOptions,
): Promise<Map<string, Uint8Array[]>> {
  const payloadsById = new Map<string, Uint8Array[]>();
  for (const { id, payload } of await fetchReports(ids, options)) {
    const payloads = payloadsById.get(id);
    if (payloads) payloads.push(payload);
    else payloadsById.set(id, [payload]);
  }
  return payloadsById;
}

/**
 * Locations of `devices` observed between `since` and `until`, newest first.
 * @example await locate(readKeyFile(bytes, 'tag'), { server, since: new Date(Date.now() - 7 * 86_400_000), until: new Date() })
 */
export async function locate(devices: readonly Device[], options: LocateOptions): Promise<LocatedReport[]> {
  const engine = options.engine ?? (await sdkP224());
  const candidates = candidateKeysOf(devices, options.since, options.until, engine);
  const located: LocatedReport[] = [];
  for (const [id, payloads] of await fetchReportsById([...candidates.keys()], options)) {
    const { key, device } = candidates.get(id)!;
    located.push(...openLocated(payloads, key, device, engine));
  }
  return newestFirst(located);
}

/** Reports sorted newest first. */
export function newestFirst(reports: LocatedReport[]): LocatedReport[] {
  return reports.sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime());
}

async function fetchNative(ids: string[], options: LocateOptions): Promise<ReportJson[]> {
  const found: ReportJson[] = [];
  let cursor: string | null = null;
  do {
    const body = {
      ids,
      since: options.since.getTime(),
      until: options.until.getTime(),
      limit: MAX_QUERY_LIMIT,
      ...(cursor ? { cursor } : {}),
    };
    const page = (await post(
      options.server,
      '/v1/reports/query',
      JSON.stringify(body),
      'application/json',
      options,
    )) as { reports: ReportJson[]; nextCursor: string | null };
    found.push(...page.reports);
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

async function fetchApple(ids: string[], options: LocateOptions): Promise<ReportJson[]> {
  const body = { search: [{ startDate: options.since.getTime(), endDate: options.until.getTime(), ids }] };
  const answer = (await post(
    options.server,
    '/acsnservice/fetch',
    JSON.stringify(body),
    'application/json',
    options,
  )) as { results?: Array<{ id: string; payload: string; datePublished: number }> };
  return (answer.results ?? []).map(({ id, payload, datePublished }) => ({ id, payload, receivedAt: datePublished }));
}

/**
 * One report per ephemeral key and id, the first the server received. A finder seals every
 * report with a fresh ephemeral key, and the time and confidence beside the sealed part are not
 * authenticated, so copies that share one are replays, possibly with forged times; the copy
 * received first is the finder's own (a replayer learns the sealed bytes only after it). Servers
 * that cannot refuse such copies across days (D1) return them all; this is the owner's guard.
 * @example firstReceivedOfEachSeal(page.reports).length
 */
export function firstReceivedOfEachSeal(reports: readonly ReportJson[]): FetchedReport[] {
  const first = new Map<string, FetchedReport>();
  for (const report of reports) {
    const payload = base64ToBytes(report.payload);
    const seal = sealOf(report.id, payload);
    if (seal === undefined) continue; // not a report's layout: nothing an owner can open
    const kept = first.get(seal);
    if (!kept || report.receivedAt < kept.receivedAt)
      first.set(seal, { id: report.id, payload, receivedAt: report.receivedAt });
  }
  return [...first.values()];
}

/**
 * What tells one sealed report from another: its id and its ephemeral key (a finder seals every
 * report with a fresh one), so copies under one seal are one report (replays, archived copies);
 * undefined for bytes that are not a report.
 * @example sealOf(report.id, payload) // 'HjdL…=:04ab…'
 */
export function sealOf(id: string, payload: Uint8Array): string | undefined {
  try {
    return `${id}:${bytesToHex(parseReport(payload).ephemeralPublicKey)}`;
  } catch {
    return undefined;
  }
}

/** The seal as an optional field: a report opened from its payload always has one. */
const withSeal = (seal: string | undefined) => (seal === undefined ? {} : { seal });
