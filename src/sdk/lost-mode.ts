/**
 * Lost mode from the owner's and the finder's side (docs/protocol.md §13): publish a notice for
 * every key a device will broadcast over a period, withdraw them, see which are live, and, as a
 * finder, read and verify the notice of a key just received.
 */
import {
  AuthenticationError,
  base64ToBytes,
  bytesToBase64,
  FormatError,
  hashedIdOf,
  hideContact,
  openNotice,
  sealNotice,
  withdrawHashOf,
  withdrawTokenOf,
  type Contact,
  type KeyCandidate,
  type NoticeContent,
  type P224Engine,
} from '../../crypto/index.ts';
import {
  MAX_LIVE_NOTICES_PER_ID,
  MAX_NOTICES_PER_ID,
  MAX_NOTICE_DAYS,
  MAX_NOTICES_PER_REQUEST,
  MAX_QUERY_IDS,
} from '../contract/limits.ts';
import { secondsToMs } from '../contract/times.ts';
import { post, ServerError, type HttpOptions } from './http.ts';
import type { Device } from './key-files.ts';
import { candidateKeysOf } from './owner.ts';
import { sdkP224 } from './p224.ts';

const DAY_MS = 86_400_000;
/** A notice outlives its key's span by this much: a finder may look it up a while after the sighting. */
const NOTICE_GRACE_MS = DAY_MS;

export interface LostModeOptions extends HttpOptions {
  readonly server: string;
  /** The period the device is lost for: notices go to every key it may broadcast in it. */
  readonly from: Date;
  readonly until: Date;
  readonly engine?: P224Engine;
  /** The clock (tests move it). */
  readonly now?: Date;
}

/** Why the server did not take a notice (docs/protocol.md §13). */
export type NoticeRefusal = 'replayed' | 'full';

/** What a lost-mode call did, in keys. */
export interface LostModeResult {
  readonly keys: number;
  /** Notices stored now, or withdrawn now. */
  readonly changed: number;
  /** Keys that held a live notice of the owner's already (publish), or had none to withdraw (withdraw). */
  readonly unchanged: number;
  /** Keys whose notice did not take (publish only), with the server's reason. */
  readonly notTaken: ReadonlyArray<{ readonly id: string; readonly reason: NoticeRefusal }>;
}

/**
 * One sentence for an owner about notices that did not take, or '' when all did.
 * @example notTakenText(result) // '3 keys have no notice of yours: strangers filled …'
 */
export function notTakenText(result: LostModeResult): string {
  const count = (reason: NoticeRefusal) => result.notTaken.filter((n) => n.reason === reason).length;
  const parts = [
    count('full') &&
      `${count('full')} are full: ${MAX_LIVE_NOTICES_PER_ID} live notices, or ${MAX_NOTICES_PER_ID} in all counting withdrawn ones, which stay until they expire (strangers who heard the item can fill its current and past keys; withdrawing and publishing again many times fills them too; finders still see your notices on its future keys)`,
    count('replayed') && `${count('replayed')} were given a notice published and withdrawn before`,
  ].filter(Boolean);
  return parts.length === 0 ? '' : `${result.notTaken.length} keys have no notice of yours: ${parts.join('; ')}.`;
}

/** Every key the devices may broadcast in the period, once each. */
async function keysOf(devices: readonly Device[], options: LostModeOptions): Promise<KeyCandidate[]> {
  const owned = candidateKeysOf(devices, options.from, options.until, options.engine ?? (await sdkP224()));
  return [...owned.values()].map(({ key }) => key);
}

/** Runs `call` over `items` in parts of at most `size`. */
async function inParts<T, R>(items: readonly T[], size: number, call: (part: T[]) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(await call(items.slice(i, i + size)));
  return results;
}

/** What publishing did: LostModeResult, and what the owner must know of the notices already there. */
export interface MarkLostResult extends LostModeResult {
  /** Of the keys that held a notice already, those whose notice says something else: kept, not replaced. */
  readonly keptOther: number;
  /** When the last notice of the period expires: finders see it until then (lostStatus's `until`). */
  readonly until: Date;
}

/** What the owner tells finders. */
export interface LostNotice {
  readonly message: string;
  readonly contact: Contact;
  /** Show finders the whole contact; by default they see it partly hidden (hideContact). */
  readonly fullContact?: boolean;
}

/**
 * Marks devices lost: seals and publishes a notice for each key they may broadcast in the
 * period, each expiring a day after its key's span (at most 31 days ahead). A key that holds a
 * live notice of the owner's already keeps it; `keptOther` counts those that say something
 * else, which only withdrawing first (markFound) replaces; `notTaken` those the server refused.
 * @example await markLost(devices, { message: 'Reward if found', contact: parseContact('+15550100') }, { server, from: now, until: in7Days })
 */
export async function markLost(
  devices: readonly Device[],
  { message, contact, fullContact = false }: LostNotice,
  options: LostModeOptions,
): Promise<MarkLostResult> {
  // Hidden here, before sealing: a finder is never given what the owner did not choose to show.
  const notice = { message, contact: fullContact ? contact : hideContact(contact) };
  const now = (options.now ?? new Date()).getTime();
  const latest = Math.floor((now + MAX_NOTICE_DAYS * DAY_MS) / 1000) - 60;
  const keys = (await keysOf(devices, options)).filter((key) => key.until.getTime() > now);
  const items = keys.map((key) => {
    // The notice binds whole seconds (docs/protocol.md §13); the route's body says them in ms.
    const expiresAt = Math.min(latest, Math.floor((key.until.getTime() + NOTICE_GRACE_MS) / 1000));
    return {
      id: key.hashedIdBase64,
      notice: bytesToBase64(sealNotice(key.privateKey, { ...notice, expiresAt })),
      expiresAt: secondsToMs(expiresAt),
      withdrawHash: bytesToBase64(withdrawHashOf(withdrawTokenOf(key.privateKey))),
    };
  });
  const answers = await inParts(
    items,
    MAX_NOTICES_PER_REQUEST,
    async (part) =>
      (await post(options.server, '/v1/notices', JSON.stringify({ notices: part }), 'application/json', options)) as {
        published: string[];
        alreadyPublished: string[];
        refused: Array<{ id: string; reason: NoticeRefusal }>;
      },
  );
  const changed = answers.reduce((n, a) => n + a.published.length, 0);
  const kept = new Set(answers.flatMap((a) => a.alreadyPublished));
  const keptOther = (
    await ownNotices(
      keys.filter((key) => kept.has(key.hashedIdBase64)),
      options,
    )
  ).filter(
    ({ said }) =>
      said.message !== notice.message ||
      said.contact.kind !== notice.contact.kind ||
      said.contact.value !== notice.contact.value,
  ).length;
  const until = new Date(Math.max(0, ...items.map((item) => item.expiresAt)));
  return {
    keys: items.length,
    changed,
    unchanged: kept.size,
    notTaken: answers.flatMap((a) => a.refused),
    keptOther,
    until,
  };
}

/**
 * Ends lost mode: withdraws the notices of every key of the period that carries one, with tokens
 * derived from the keys themselves. It asks first which do, and withdraws only those: a
 * withdrawal naming no live notice is a 403, which would fill the server's log with refusals.
 * @example await markFound(devices, { server, from: lostSince, until: lostUntil })
 */
export async function markFound(devices: readonly Device[], options: LostModeOptions): Promise<LostModeResult> {
  const keys = await keysOf(devices, options);
  const live = new Set((await ownNotices(keys, options)).map((notice) => notice.id));
  const items = keys
    .filter((key) => live.has(key.hashedIdBase64))
    .map((key) => ({ id: key.hashedIdBase64, token: bytesToBase64(withdrawTokenOf(key.privateKey)) }));
  const answers = await inParts(items, MAX_NOTICES_PER_REQUEST, async (part) => {
    try {
      return (await post(
        options.server,
        '/v1/notices/withdraw',
        JSON.stringify({ notices: part }),
        'application/json',
        options,
      )) as { withdrawn: string[] };
    } catch (error) {
      // 403: none of this part had a notice under its token (planted by someone else, or expired since).
      if (error instanceof ServerError && error.status === 403) return { withdrawn: [] };
      throw error;
    }
  });
  const changed = answers.reduce((n, a) => n + a.withdrawn.length, 0);
  return { keys: keys.length, changed, unchanged: keys.length - changed, notTaken: [] };
}

/**
 * The live notices of `keys` that open under the owner's keys, asked in parts: strangers may
 * publish beside the owner, and theirs are not the owner's to count, show or withdraw.
 */
async function ownNotices(
  keys: readonly KeyCandidate[],
  options: HttpOptions & { readonly server: string },
): Promise<Array<{ readonly id: string; readonly said: NoticeContent }>> {
  const byId = new Map(keys.map((key) => [key.hashedIdBase64, key]));
  const stored = (
    await inParts(
      keys.map((key) => key.hashedIdBase64),
      MAX_QUERY_IDS,
      async (ids) => (await fetchNotices(options.server, ids, options)).notices,
    )
  ).flat();
  return stored.flatMap((n) => {
    const opened = openedNotice(byId.get(n.id)!.advertisementKey, n);
    return opened.status === 'valid' ? [{ id: n.id, said: opened.notice }] : [];
  });
}

/**
 * The period whose keys may carry live notices now: a notice outlives its key by a day and is
 * published at most MAX_NOTICE_DAYS ahead, so this holds every one `markLost` can have made.
 * @example await markFound(devices, { server, ...liveNoticeWindow(new Date()) })
 */
export function liveNoticeWindow(now: Date): { from: Date; until: Date } {
  return { from: new Date(now.getTime() - 2 * DAY_MS), until: new Date(now.getTime() + MAX_NOTICE_DAYS * DAY_MS) };
}

/** Which keys of a period carry a live notice, and what the newest says (the owner can open them too). */
export interface LostStatus {
  readonly keys: number;
  readonly live: number;
  /** When the last live notice expires. */
  readonly until?: Date;
  readonly notice?: NoticeContent;
}

/**
 * @example const { live, notice } = await lostStatus(devices, { server, from: now, until: in7Days })
 */
export async function lostStatus(devices: readonly Device[], options: LostModeOptions): Promise<LostStatus> {
  const keys = await keysOf(devices, options);
  const mine = (await ownNotices(keys, options)).map((n) => n.said);
  if (mine.length === 0) return { keys: keys.length, live: 0 };
  const last = mine.reduce((a, b) => (b.expiresAt > a.expiresAt ? b : a));
  return { keys: keys.length, live: mine.length, until: new Date(last.expiresAt * 1000), notice: last };
}

type NoticesAnswer = { notices: Array<{ id: string; notice: string; expiresAt: number }> };

function fetchNotices(server: string, ids: string[], options: HttpOptions): Promise<NoticesAnswer> {
  return post(
    server,
    '/v1/notices/query',
    JSON.stringify({ ids }),
    'application/json',
    options,
  ) as Promise<NoticesAnswer>;
}

/** What a finder learns about a key it received. */
export type NoticeLookup =
  | { readonly status: 'none' }
  | { readonly status: 'valid'; readonly notice: NoticeContent }
  /** A notice is stored but does not decrypt or is not signed by the key: never show its text. */
  | { readonly status: 'forged'; readonly reason: string };

/**
 * The finder's lookup: the notices for advertisement keys just received, each verified, in their
 * order.
 * @example const [found] = await noticesFor(server, [advertisementKey]); if (found.status === 'valid') show(found.notice)
 */
export async function noticesFor(
  server: string,
  advertisementKeys: readonly Uint8Array[],
  options: HttpOptions = {},
): Promise<NoticeLookup[]> {
  const ids = advertisementKeys.map((key) => bytesToBase64(hashedIdOf(key)));
  const stored = new Map<string, NoticesAnswer['notices']>();
  for (const n of (
    await inParts([...new Set(ids)], MAX_QUERY_IDS, async (part) => (await fetchNotices(server, part, options)).notices)
  ).flat())
    stored.set(n.id, [...(stored.get(n.id) ?? []), n]);
  return advertisementKeys.map((key, i) => {
    const found = stored.get(ids[i]!) ?? [];
    if (found.length === 0) return { status: 'none' };
    // Up to a few notices per id, a stranger's among them: the finder shows the one that verifies.
    const lookups = found.map((n) => openedNotice(key, n));
    return lookups.find((l) => l.status === 'valid') ?? lookups[0]!;
  });
}

/** One stored notice opened under the key it was fetched for. */
function openedNotice(key: Uint8Array, stored: { notice: string; expiresAt: number }): NoticeLookup {
  try {
    // A wire expiry that is not a whole second cannot be the bound one: openNotice refuses it as forged.
    return { status: 'valid', notice: openNotice(key, base64ToBytes(stored.notice), stored.expiresAt / 1000) };
  } catch (error) {
    if (error instanceof AuthenticationError || error instanceof FormatError)
      return { status: 'forged', reason: error.message };
    throw error;
  }
}
