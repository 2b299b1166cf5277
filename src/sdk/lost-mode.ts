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
  openNotice,
  sealNotice,
  withdrawHashOf,
  withdrawTokenOf,
  type Contact,
  type KeyCandidate,
  type NoticeContent,
  type P224Engine,
} from '../../crypto/index.ts';
import { MAX_NOTICE_DAYS, MAX_NOTICES_PER_REQUEST, MAX_QUERY_IDS } from '../contract/limits.ts';
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

/** What a lost-mode call did, in keys. */
export interface LostModeResult {
  readonly keys: number;
  /** Notices stored now, or withdrawn now. */
  readonly changed: number;
  /** Keys that held a live notice already (publish), or had none to withdraw (withdraw). */
  readonly unchanged: number;
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

/**
 * Marks devices lost: seals and publishes a notice for each key they may broadcast in the
 * period, each expiring a day after its key's span (at most 31 days ahead). A key that holds a
 * notice already keeps it (the server's first write wins); `keptOther` counts those that say
 * something else, which only withdrawing first (markFound) replaces.
 * @example await markLost(devices, { message: 'Reward if found', contact: parseContact('+15550100') }, { server, from: now, until: in7Days })
 */
export async function markLost(
  devices: readonly Device[],
  notice: { readonly message: string; readonly contact: Contact },
  options: LostModeOptions,
): Promise<MarkLostResult> {
  const now = (options.now ?? new Date()).getTime();
  const latest = Math.floor((now + MAX_NOTICE_DAYS * DAY_MS) / 1000) - 60;
  const keys = (await keysOf(devices, options)).filter((key) => key.until.getTime() > now);
  const items = keys.map((key) => {
    const expiresAt = Math.min(latest, Math.floor((key.until.getTime() + NOTICE_GRACE_MS) / 1000));
    return {
      id: key.hashedIdBase64,
      notice: bytesToBase64(sealNotice(key.privateKey, { ...notice, expiresAt })),
      expiresAt,
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
      },
  );
  const changed = answers.reduce((n, a) => n + a.published.length, 0);
  const kept = answers.flatMap((a) => a.alreadyPublished);
  const keptOther = await countSayingOther(
    keys.filter((key) => kept.includes(key.hashedIdBase64)),
    notice,
    options,
  );
  const until = new Date(Math.max(0, ...items.map((item) => item.expiresAt)) * 1000);
  return { keys: items.length, changed, unchanged: items.length - changed, keptOther, until };
}

/** How many of `keys` carry a stored notice whose message or contact differ from `notice`. */
async function countSayingOther(
  keys: readonly KeyCandidate[],
  notice: { readonly message: string; readonly contact: Contact },
  options: HttpOptions & { readonly server: string },
): Promise<number> {
  const byId = new Map(keys.map((key) => [key.hashedIdBase64, key]));
  return (await storedNotices(keys, options)).filter((found) => {
    try {
      const said = openNotice(byId.get(found.id)!.advertisementKey, base64ToBytes(found.notice), found.expiresAt);
      return (
        said.message !== notice.message ||
        said.contact.kind !== notice.contact.kind ||
        said.contact.value !== notice.contact.value
      );
    } catch (error) {
      // A notice someone else planted says something else too.
      if (error instanceof AuthenticationError || error instanceof FormatError) return true;
      throw error;
    }
  }).length;
}

/**
 * Ends lost mode: withdraws the notices of every key of the period that carries one, with tokens
 * derived from the keys themselves. It asks first which do, and withdraws only those: a
 * withdrawal naming no live notice is a 403, which would fill the server's log with refusals.
 * @example await markFound(devices, { server, from: lostSince, until: lostUntil })
 */
export async function markFound(devices: readonly Device[], options: LostModeOptions): Promise<LostModeResult> {
  const keys = await keysOf(devices, options);
  const live = new Set((await storedNotices(keys, options)).map((notice) => notice.id));
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
  return { keys: keys.length, changed, unchanged: keys.length - changed };
}

/** The live notices stored for `keys`, asked in parts. */
async function storedNotices(
  keys: readonly KeyCandidate[],
  options: HttpOptions & { readonly server: string },
): Promise<NoticesAnswer['notices']> {
  const ids = keys.map((key) => key.hashedIdBase64);
  return (
    await inParts(ids, MAX_QUERY_IDS, async (part) => (await fetchNotices(options.server, part, options)).notices)
  ).flat();
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
  const byId = new Map(keys.map((key) => [key.hashedIdBase64, key]));
  const found = await storedNotices(keys, options);
  if (found.length === 0) return { keys: keys.length, live: 0 };
  const last = found.reduce((a, b) => (b.expiresAt > a.expiresAt ? b : a));
  const notice = openNotice(byId.get(last.id)!.advertisementKey, base64ToBytes(last.notice), last.expiresAt);
  return { keys: keys.length, live: found.length, until: new Date(last.expiresAt * 1000), notice };
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
  const stored = new Map(
    (
      await inParts(
        [...new Set(ids)],
        MAX_QUERY_IDS,
        async (part) => (await fetchNotices(server, part, options)).notices,
      )
    )
      .flat()
      .map((n) => [n.id, n]),
  );
  return advertisementKeys.map((key, i) => {
    const found = stored.get(ids[i]!);
    if (!found) return { status: 'none' };
    try {
      return { status: 'valid', notice: openNotice(key, base64ToBytes(found.notice), found.expiresAt) };
    } catch (error) {
      if (error instanceof AuthenticationError || error instanceof FormatError)
        return { status: 'forged', reason: error.message };
      throw error;
    }
  });
}
