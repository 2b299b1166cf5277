/**
 * Where reports live. The app talks only to this interface; `sqlite/` implements it on an
 * embedded SQLite file, `d1/` on Cloudflare D1 and `sharded/` over several stores. Times here
 * are Unix seconds, the resolution of a report's own timestamp.
 */
import { bytesToHex, type SealedReport } from '../../crypto/index.ts';

/**
 * A sealed report with the observation time its payload states: a validated upload item, and
 * a position in the stable order (timestamp, hashed id, payload) that a query resumes after.
 */
export interface ObservedReport extends SealedReport {
  /** Observation time from the payload, Unix seconds. */
  readonly timestamp: number;
}

/** A stored report as an owner fetches it. */
export interface StoredReport extends ObservedReport {
  /** When the server stored it, Unix seconds. */
  readonly receivedAt: number;
}

/** An owner's fetch: reports of these ids observed in [since, until], in stable order. */
export interface ReportQuery {
  readonly hashedIds: readonly Uint8Array[];
  /** Inclusive, Unix seconds. */
  readonly since: number;
  /** Inclusive, Unix seconds. */
  readonly until: number;
  /** At most this many reports. */
  readonly limit: number;
  /** Only reports strictly after this position. */
  readonly after?: ObservedReport;
}

/**
 * What an upload did: new reports stored, items already stored (or repeated in the batch), and
 * items over the per-id daily cap, not stored.
 */
export interface InsertResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
}

/** Storage the server can run on. Every method is atomic. */
export interface ReportStore {
  /**
   * Stores a batch all or nothing; a report whose id already holds its seal (the sealed bytes,
   * whatever its clear-text time says; schema.ts) counts as a duplicate, and with `capPerDay` > 0
   * items past that many reports per id and day are rejected (see rules/id-cap.ts). Resolves
   * once durable.
   */
  insert(reports: readonly ObservedReport[], receivedAt: number, capPerDay?: number): Promise<InsertResult>;
  /** Reports matching the query in order (timestamp, hashed id, payload). */
  query(query: ReportQuery): Promise<StoredReport[]>;
  /** Deletes every report observed before `before` (Unix seconds); returns how many. */
  prune(before: number): Promise<number>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  /** How many bytes the database takes, where the store can tell (SQLite); undefined where not (D1). */
  storageBytes(): Promise<number | undefined>;
}

/** Thrown by a store when the database cannot take the work now (busy, locked, full); the app answers 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** A (bucket, hashed id) pair as a map key. */
export function pairKey(bucket: number, hashedId: Uint8Array): string {
  return `${bucket}:${bytesToHex(hashedId)}`;
}

/**
 * The stable order of reports: timestamp, then hashed id, then payload, bytes compared as
 * SQLite compares blobs (memcmp, shorter first on a tie). Merging pages from several
 * statements or shards by it gives exactly what one statement would have returned.
 */
export function compareReports(a: ObservedReport, b: ObservedReport): number {
  return a.timestamp - b.timestamp || compareBytes(a.hashedId, b.hashedId) || compareBytes(a.payload, b.payload);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Reports of several sorted lists, in stable order, at most `limit`. */
export function mergeReports(lists: readonly StoredReport[][], limit: number): StoredReport[] {
  return lists.flat().sort(compareReports).slice(0, limit);
}
