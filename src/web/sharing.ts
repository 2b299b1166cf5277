/**
 * Share links from the owner's page: a link shows one item's recent positions to whoever holds
 * it, for at most 7 days. Its key is made here and lives only in the link's fragment (after #),
 * which browsers never send to a server; the server stores what the page sealed under it. The
 * page keeps its links (key and owner's token) in this browser and re-seals each one whenever
 * it has located that item again.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  base64ToBytes,
  base64UrlToBytes,
  bytesToBase64,
  bytesToBase64Url,
  openShare,
  SHARE_ID_LENGTH,
  SHARE_KEY_LENGTH,
  SHARE_TOKEN_LENGTH,
  sealShare,
  type SharedLocations,
} from '../../crypto/index.ts';
import * as z from 'zod/mini';
import { MAX_SHARE_DAYS } from '../contract/limits.ts';
import { request, type ServerError } from '../sdk/http.ts';
import type { LocatedReport } from '../sdk/owner.ts';

const STORAGE_KEY = 'crowdfind.shares';
/** Positions one link carries at most, newest kept. */
const MAX_SHARED_POSITIONS = 2000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** Longest device name a link may carry, in characters. */
const MAX_DEVICE_NAME = 200;
const UnixMs = z.number().check(z.int(), z.nonnegative());

/**
 * What an opened link must hold. Anyone can seal a link (on any server), so what it carries is
 * checked before the page uses it: bounded text, finite numbers in range, a bounded list.
 */
const SharedLocationsSchema = z.object({
  device: z.string().check(z.minLength(1), z.maxLength(MAX_DEVICE_NAME)),
  reports: z
    .array(
      z.object({
        timestamp: UnixMs,
        latitude: z.number().check(z.gte(-90), z.lte(90)),
        longitude: z.number().check(z.gte(-180), z.lte(180)),
        accuracy: z.number().check(z.int(), z.nonnegative(), z.lte(255)),
      }),
    )
    .check(z.maxLength(MAX_SHARED_POSITIONS)),
  sealedAt: UnixMs,
});

/** A link this browser made. */
export interface ShareLink {
  readonly share: string;
  readonly key: string;
  readonly token: string;
  readonly device: string;
  /** Unix ms, as the server answered it. */
  readonly expiresAt: number;
}

/**
 * Links saved before the API said milliseconds hold Unix seconds: no expiry in ms lies before
 * 2001 and none in seconds after it, so the size tells them apart.
 */
const SAVED_IN_SECONDS_BELOW = 1e12;

/** The links this browser made that have not expired. */
export function savedLinks(): ShareLink[] {
  const links = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as ShareLink[];
  return links
    .map((link) => (link.expiresAt < SAVED_IN_SECONDS_BELOW ? { ...link, expiresAt: link.expiresAt * 1000 } : link))
    .filter((link) => link.expiresAt > Date.now());
}

function saveLinks(links: ShareLink[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(links));
}

/** The address that opens a link: this page, with id and key in the fragment. */
export function linkAddress(link: ShareLink, page = `${location.origin}${location.pathname}`): string {
  return `${page}#share=${link.share}.${link.key}`;
}

/** A device's positions as a link carries them: the last 7 days, oldest first. */
function locationsOf(device: string, reports: readonly LocatedReport[]): SharedLocations {
  const since = Date.now() - WEEK_MS;
  const mine = reports
    .filter((r) => r.device === device && r.timestamp.getTime() >= since)
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())
    .slice(-MAX_SHARED_POSITIONS);
  return {
    device,
    reports: mine.map((r) => ({
      timestamp: r.timestamp.getTime(),
      latitude: r.latitude,
      longitude: r.longitude,
      accuracy: r.accuracy,
    })),
    sealedAt: Date.now(),
  };
}

/** A JSON request through the SDK's client (its retries, and the server's problem detail as the error). */
const call = (server: string, path: string, method: string, body: unknown) =>
  request(server, path, { method, contentType: 'application/json', body: JSON.stringify(body) });

/** Makes a link for one device's positions, valid for `days` (at most 7). */
export async function createLink(
  server: string,
  device: string,
  reports: readonly LocatedReport[],
  days: number,
): Promise<ShareLink> {
  const key = crypto.getRandomValues(new Uint8Array(SHARE_KEY_LENGTH));
  const token = crypto.getRandomValues(new Uint8Array(SHARE_TOKEN_LENGTH));
  const expiresAt = Date.now() + Math.min(days, MAX_SHARE_DAYS) * DAY_MS - 60_000;
  // The server picks the id, which the ciphertext is bound to: store a placeholder, then seal for the id.
  const created = (await call(server, '/v1/shares', 'POST', {
    ciphertext: bytesToBase64(
      sealShare(key, new Uint8Array(SHARE_ID_LENGTH), { device, reports: [], sealedAt: Date.now() }),
    ),
    tokenHash: bytesToBase64(sha256(token)),
    expiresAt,
  })) as { share: string; expiresAt: number };
  const link: ShareLink = {
    share: created.share,
    key: bytesToBase64Url(key),
    token: bytesToBase64(token),
    device,
    expiresAt: created.expiresAt,
  };
  await updateLink(server, link, reports);
  saveLinks([...savedLinks(), link]);
  return link;
}

/** Re-seals a link with the positions located now. */
export async function updateLink(server: string, link: ShareLink, reports: readonly LocatedReport[]): Promise<void> {
  const sealed = sealShare(base64UrlToBytes(link.key), base64UrlToBytes(link.share), locationsOf(link.device, reports));
  await call(server, `/v1/shares/${link.share}`, 'PUT', { ciphertext: bytesToBase64(sealed), token: link.token });
}

/** Ends a link: `revoke` deletes it, `found` tells its viewers the item is found. */
export async function endLink(server: string, link: ShareLink, how: 'revoke' | 'found'): Promise<void> {
  await call(server, `/v1/shares/${link.share}/${how}`, 'POST', { token: link.token });
  saveLinks(savedLinks().filter((l) => l.share !== link.share));
}

/** What a viewer's link says, read from this page's fragment; undefined when it holds none. */
export function linkInFragment(): { share: string; key: Uint8Array } | undefined {
  const match = /^#share=([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(location.hash);
  return match ? { share: match[1]!, key: base64UrlToBytes(match[2]!) } : undefined;
}

/** The viewer's fetch: the positions, or why there are none. */
export async function viewLink(
  server: string,
  link: { share: string; key: Uint8Array },
): Promise<{ state: 'shown'; locations: SharedLocations; expiresAt: number } | { state: 'ended'; reason: string }> {
  let body: { ciphertext: string; expiresAt: number };
  try {
    body = (await request(server, `/v1/shares/${link.share}`, { method: 'GET' })) as typeof body;
  } catch (error) {
    const status = (error as ServerError).status;
    if (status === 410) return { state: 'ended', reason: 'The owner has found the item; this link has ended.' };
    if (status === 404)
      return { state: 'ended', reason: 'This link is no longer shared: the owner revoked it, or it expired.' };
    throw error;
  }
  const opened = openShare(link.key, base64UrlToBytes(link.share), base64ToBytes(body.ciphertext));
  const locations = SharedLocationsSchema.safeParse(opened);
  if (!locations.success) throw new Error('This link holds something other than an item’s positions.');
  return { state: 'shown', locations: locations.data, expiresAt: body.expiresAt };
}
