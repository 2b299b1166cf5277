/**
 * Which webhook targets a server may call. A subscription names a URL the server will POST to,
 * so without this check anyone could aim the server at its own network (SSRF). Refused unless the
 * operator allows them (WEBHOOK_ALLOW_PRIVATE): every range of IANA's IPv4 and IPv6
 * Special-Purpose Address Registries, a few more no public receiver lives in (multicast,
 * site-local), and every IPv6 form that carries an IPv4 address whose IPv4 address is refused.
 * The check runs on the URL at subscription and, on Node, again on every address a name resolves
 * to at delivery (DNS rebinding).
 */
import { FormatError } from '../../crypto/index.ts';

/**
 * IPv4 ranges no webhook may reach: the whole IANA IPv4 Special-Purpose Address Registry (also the
 * globally reachable anycast entries, where no webhook receiver lives), plus multicast.
 */
const BLOCKED_V4: ReadonlyArray<readonly [cidr: string, name: string]> = [
  ['0.0.0.0/8', '"this" network'],
  ['10.0.0.0/8', 'private use'],
  ['100.64.0.0/10', 'shared address space (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local, cloud metadata'],
  ['172.16.0.0/12', 'private use'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)'],
  ['192.31.196.0/24', 'AS112-v4'],
  ['192.52.193.0/24', 'AMT'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast'],
  ['192.168.0.0/16', 'private use'],
  ['192.175.48.0/24', 'direct delegation AS112 service'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved, limited broadcast'],
];

/**
 * IPv6 ranges refused whole: the IANA IPv6 Special-Purpose Address Registry (without the forms
 * that carry an IPv4 address, which EMBEDDED_V4 judges by that address), plus site-local and
 * multicast from the IPv6 address space registry.
 */
const BLOCKED_V6: ReadonlyArray<readonly [cidr: string, name: string]> = [
  // :: and ::1 are in ::/96 below, whose IPv4 addresses 0.0.0.0/8 are refused.
  ['64:ff9b:1::/48', 'local-use IPv4/IPv6 translation'],
  ['100::/64', 'discard-only'],
  ['100:0:0:1::/64', 'dummy prefix'],
  ['2001::/23', 'IETF protocol assignments (Teredo, 2001::/32, is judged by its IPv4 addresses)'],
  ['2001:db8::/32', 'documentation'],
  ['2620:4f:8000::/48', 'direct delegation AS112 service'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'segment routing SIDs'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
];

/** IPv6 forms that carry IPv4 addresses, with where they are; the IPv4 addresses decide. */
const EMBEDDED_V4: ReadonlyArray<readonly [cidr: string, name: string, v4Of: (a: bigint) => number[]]> = [
  ['::/96', 'IPv4-compatible (deprecated)', (a) => [low32(a)]],
  ['::ffff:0:0/96', 'IPv4-mapped', (a) => [low32(a)]],
  ['::ffff:0:0:0/96', 'IPv4-translated', (a) => [low32(a)]],
  ['64:ff9b::/96', 'NAT64 well-known prefix', (a) => [low32(a)]],
  ['2002::/16', '6to4', (a) => [Number((a >> 80n) & 0xffffffffn)]],
  // Teredo: the server's address in bits 32–63, the client's, inverted, in the last 32.
  ['2001::/32', 'Teredo', (a) => [Number((a >> 64n) & 0xffffffffn), ~low32(a) >>> 0]],
];

const low32 = (a: bigint): number => Number(a & 0xffffffffn);

function v4Number(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** An IPv6 address as a 128-bit number, in any text form (zero runs, a dotted IPv4 tail, a zone). */
function v6Number(address: string): bigint | undefined {
  let text = address.replace(/%.*$/, '');
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = v4Number(tail[2]!);
    if (v4 === undefined) return undefined;
    text = `${tail[1]}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (!groups.flat().every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const count = groups.flat().length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const all = halves.length === 1 ? groups[0]! : [...groups[0]!, ...Array(8 - count).fill('0'), ...groups[1]!];
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

type Range = { readonly base: bigint; readonly mask: bigint };

function rangeOf(cidr: string, width: 32 | 128): Range {
  const [text, bits] = cidr.split('/') as [string, string];
  const base = width === 32 ? BigInt(v4Number(text)!) : v6Number(text)!;
  const all = (1n << BigInt(width)) - 1n;
  const mask = all ^ ((1n << BigInt(width - Number(bits))) - 1n);
  return { base, mask };
}
const inRange = (a: bigint, r: Range) => (a & r.mask) === r.base;

const V4_RANGES = BLOCKED_V4.map(([cidr]) => rangeOf(cidr, 32));
const V6_RANGES = BLOCKED_V6.map(([cidr]) => rangeOf(cidr, 128));
const EMBEDDED = EMBEDDED_V4.map(([cidr, , v4Of]) => ({ range: rangeOf(cidr, 128), v4Of }));

const refusedV4 = (a: number) => V4_RANGES.some((r) => inRange(BigInt(a), r));

function refusedV6(a: bigint): boolean {
  // A form that carries IPv4 is judged by its IPv4 alone: Teredo lies inside the refused
  // 2001::/23, and NAT64 of a public address is how an IPv6-only server reaches it.
  const form = EMBEDDED.find((e) => inRange(a, e.range));
  if (form) return form.v4Of(a).some(refusedV4);
  return V6_RANGES.some((r) => inRange(a, r));
}

/**
 * True when an IP address (v4 or v6 text, brackets allowed) lies in a range no webhook may reach,
 * or carries such an IPv4 address. Text that is no IP address (a name) is false.
 * @example isPrivateAddress('169.254.169.254') // true
 * @example isPrivateAddress('64:ff9b::7f00:1') // true: NAT64 of 127.0.0.1
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = v4Number(bare);
  if (v4 !== undefined) return refusedV4(v4);
  if (!bare.includes(':')) return false;
  const v6 = v6Number(bare);
  // IPv6 text this cannot read is refused, not trusted.
  return v6 === undefined || refusedV6(v6);
}

/**
 * Checks a webhook URL: http or https, no credentials, and unless `allowPrivate`, no loopback
 * name and no address in a refused range. Names are checked again when delivery resolves them.
 * @example webhookTarget('https://owner.example/hook', false).host // 'owner.example'
 */
export function webhookTarget(text: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FormatError('webhook.url: not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FormatError('webhook.url: use http or https');
  if (url.username || url.password) throw new FormatError('webhook.url: credentials do not belong in the URL');
  if (allowPrivate) return url;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host)) {
    throw new FormatError(
      'webhook.url: a loopback, link-local, private or other special-purpose address is refused (the operator may allow private ones)',
    );
  }
  return url;
}
