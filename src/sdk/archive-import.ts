/**
 * Sealed reports that other tools fetched from Apple's network, read in the formats those tools
 * write, and opened with the owner's keys so they can join the archive. The report format is the
 * one Crowdfind's finders seal (docs/protocol.md §2), so nothing but the wrapping differs:
 *
 * - FindMy.py: `LocationReport.to_json()` (findmy/reports/reports.py) writes
 *   `{"type": "locReportEncrypted" | "locReportDecrypted", "payload", "hashed_adv_key", "key"?}`,
 *   payload and hashed_adv_key in base64; a file may hold one such object or a list of them.
 * - macless-haystack: its endpoint (endpoint/mh_endpoint.py, `do_POST`) answers Apple's fetch
 *   response, `{"results": [{"id", "payload", "datePublished", ...}], ...}`, id the hashed
 *   advertisement key and payload the report, both base64.
 */
import {
  base64ToBytes,
  bytesToBase64,
  FormatError,
  parseReport,
  reportTimestamp,
  type P224Engine,
} from '../../crypto/index.ts';
import type { Device } from './key-files.ts';
import { candidateKeysOf, openLocated, type LocatedReport } from './owner.ts';
import { sdkP224 } from './p224.ts';

export type ImportFormat = 'FindMy.py' | 'macless-haystack';

/** A report as another tool saved it: the hashed id it was fetched under, and its sealed payload. */
export interface SealedImport {
  readonly hashedId: string;
  readonly payload: Uint8Array;
}

const DAY_MS = 86_400_000;

/** Base64 as our hashed ids spell it, whatever padding the other tool used. */
const normalBase64 = (text: unknown, what: string): Uint8Array => {
  if (typeof text !== 'string') throw new FormatError(`${what} is not base64 text`);
  return base64ToBytes(text);
};

/**
 * The sealed reports in a file FindMy.py or macless-haystack wrote; anything else is a FormatError.
 * @example parseSealedReports(readFileSync('last_report.json', 'utf8')).reports.length
 */
export function parseSealedReports(text: string): { format: ImportFormat; reports: SealedImport[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FormatError('the file is not JSON');
  }
  const results = (json as { results?: unknown } | null)?.results;
  if (Array.isArray(results))
    return {
      format: 'macless-haystack',
      reports: results.map((r: { id?: unknown; payload?: unknown }, i) => ({
        hashedId: bytesToBase64(normalBase64(r?.id, `results[${i}].id`)),
        payload: normalBase64(r?.payload, `results[${i}].payload`),
      })),
    };
  const items = Array.isArray(json) ? json : [json];
  const isFindMyPy = (item: unknown) => /^locReport(En|De)crypted$/.test(String((item as { type?: unknown })?.type));
  if (items.length > 0 && items.every(isFindMyPy))
    return {
      format: 'FindMy.py',
      reports: items.map((r: { hashed_adv_key?: unknown; payload?: unknown }, i) => ({
        hashedId: bytesToBase64(normalBase64(r.hashed_adv_key, `report ${i + 1}'s hashed_adv_key`)),
        payload: normalBase64(r.payload, `report ${i + 1}'s payload`),
      })),
    };
  throw new FormatError(
    "neither FindMy.py's location report JSON (type locReportEncrypted) nor macless-haystack's fetch answer (results)",
  );
}

/**
 * Opens the imported reports that belong to the devices, with the keys they may have broadcast
 * around the reports' times; the rest (other owners' ids, or not a report's layout) are counted.
 * @example const { located, notOurs } = await openImported(devices, parseSealedReports(text).reports)
 */
export async function openImported(
  devices: readonly Device[],
  reports: readonly SealedImport[],
  engine?: P224Engine,
): Promise<{ located: LocatedReport[]; notOurs: number }> {
  const p224 = engine ?? (await sdkP224());
  const readable = reports.filter(({ payload }) => {
    try {
      return parseReport(payload) !== undefined;
    } catch {
      return false; // not a report's layout: nothing an owner can open
    }
  });
  const times = readable.map(({ payload }) => reportTimestamp(payload).getTime());
  const located: LocatedReport[] = [];
  if (readable.length > 0) {
    // A finder stamps the time it saw the key; a day each side covers clocks and key rollover.
    const since = new Date(Math.min(...times) - DAY_MS);
    const until = new Date(Math.max(...times) + DAY_MS);
    const candidates = candidateKeysOf(devices, since, until, p224);
    const byId = new Map<string, Uint8Array[]>();
    for (const { hashedId, payload } of readable) byId.set(hashedId, [...(byId.get(hashedId) ?? []), payload]);
    for (const [id, payloads] of byId) {
      const owned = candidates.get(id);
      if (owned) located.push(...openLocated(payloads, owned.key, owned.device, p224));
    }
  }
  return { located, notOurs: reports.length - located.length };
}
