/**
 * The owner's report archive: every location report an owner has decrypted, kept on their side
 * so history outlives the server's retention (servers keep RETENTION_DAYS, 7 by default). This
 * part runs anywhere (CLI, page); the SQLite file is src/sdk/archive-file.ts, Node only.
 *
 * Entries are keyed on the report's seal ({@link sealOf}), so a report fetched again, watched
 * live or imported from another tool is kept once. Under a passphrase each entry is sealed with
 * AES-256-GCM and keyed on an HMAC of its seal, so the file shows how many reports it holds and
 * nothing about them.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { reportRecord } from './formats.ts';
import type { Device } from './key-files.ts';
import { locate, newestFirst, type LocateOptions, type LocatedReport } from './owner.ts';
import { checkPassphrase, PASSPHRASE_IV_LENGTH, passphraseBits } from './passphrase.ts';

/** Where reports are archived: a SQLite file on the CLI; the page could keep one in IndexedDB. */
export interface ReportArchive {
  /** Adds the reports not archived yet; answers how many were new. */
  add(reports: readonly LocatedReport[]): Promise<number>;
  /** Every archived report observed between `since` and `until`, newest first. */
  between(since: Date, until: Date): Promise<LocatedReport[]>;
}

/** One archived report: its key in the archive and its sealed (or plain) record. */
export interface ArchiveEntry {
  readonly id: string;
  readonly body: Uint8Array;
}

/** How entries are written: in the clear, or sealed under a passphrase. */
export interface EntryCodec {
  encode(report: LocatedReport): ArchiveEntry;
  /** Throws if the entry was not sealed under this codec's key. */
  decode(body: Uint8Array): LocatedReport;
}

/** The record an archive keeps: what `locate --format json` prints, plus the key kind and seal. */
function recordOf(report: LocatedReport): Uint8Array {
  if (!report.seal) throw new Error('only reports opened from their sealed payload can be archived');
  const record = { ...reportRecord(report), keyKind: report.keyKind, seal: report.seal };
  return new TextEncoder().encode(JSON.stringify(record));
}

function reportOf(bytes: Uint8Array): LocatedReport {
  const record = JSON.parse(new TextDecoder().decode(bytes)) as Omit<LocatedReport, 'timestamp'> & {
    timestamp: string;
  };
  return { ...record, timestamp: new Date(record.timestamp) };
}

/** Entries in the clear, keyed on the seal itself. */
export const PLAIN_CODEC: EntryCodec = {
  encode: (report) => ({ id: report.seal ?? '', body: recordOf(report) }),
  decode: reportOf,
};

/**
 * Entries sealed under keys made from a passphrase and the archive's salt: the first 32 bytes of
 * PBKDF2 (the same parameters as the page's key vault) encrypt, the next 32 key the HMAC of seals.
 * @example const codec = await passphraseCodec(passphrase, salt)
 */
export async function passphraseCodec(
  passphrase: string,
  salt: Uint8Array,
): Promise<EntryCodec & { readonly verifier: string }> {
  checkPassphrase(passphrase);
  const bits = await passphraseBits(passphrase, salt, 64);
  const aesKey = bits.slice(0, 32);
  const indexKey = bits.slice(32);
  return {
    // Lets an archive tell a wrong passphrase before it adds entries no one could open together.
    verifier: bytesToHex(hmac(sha256, indexKey, new TextEncoder().encode('crowdfind archive verifier'))),
    encode(report) {
      const plain = recordOf(report);
      const iv = randomBytes(PASSPHRASE_IV_LENGTH);
      const id = bytesToHex(hmac(sha256, indexKey, new TextEncoder().encode(report.seal)));
      return { id, body: concatBytes(iv, gcm(aesKey, iv).encrypt(plain)) };
    },
    decode(body) {
      const iv = body.subarray(0, PASSPHRASE_IV_LENGTH);
      return reportOf(gcm(aesKey, iv).decrypt(body.subarray(PASSPHRASE_IV_LENGTH)));
    },
  };
}

/**
 * Reports of both lists, each seal once (the first list's copy), newest first.
 * @example mergeReports(fromServer, fromArchive)
 */
export function mergeReports(first: readonly LocatedReport[], second: readonly LocatedReport[]): LocatedReport[] {
  const bySeal = new Map<string, LocatedReport>();
  for (const report of [...first, ...second]) {
    const key = report.seal ?? `${report.hashedId}@${report.timestamp.getTime()}`;
    if (!bySeal.has(key)) bySeal.set(key, report);
  }
  return newestFirst([...bySeal.values()]);
}

export interface ArchivedLocateOptions extends LocateOptions {
  readonly archive: ReportArchive;
  /** The oldest moment the server still keeps reports of; before it, only the archive has them. */
  readonly retentionStart: Date;
}

/**
 * Locates what the server still keeps (the window from `retentionStart` on), archives it, and
 * answers it merged with the archive's reports of these devices over the whole window.
 * @example await locateWithArchive(devices, { server, since, until, archive, retentionStart })
 */
export async function locateWithArchive(
  devices: readonly Device[],
  options: ArchivedLocateOptions,
): Promise<LocatedReport[]> {
  const { archive, retentionStart, since, until } = options;
  const serverSince = since > retentionStart ? since : retentionStart;
  const fetched = serverSince < until ? await locate(devices, { ...options, since: serverSince }) : [];
  await archive.add(fetched);
  const names = new Set(devices.map((device) => device.name));
  const archived = (await archive.between(since, until)).filter((report) => names.has(report.device));
  return mergeReports(fetched, archived);
}
