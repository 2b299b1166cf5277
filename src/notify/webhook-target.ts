/**
 * Which webhook targets a server may call. A subscription names a URL the server will POST to,
 * so without this check anyone could aim the server at its own network (SSRF): loopback, link-
 * local (cloud metadata at 169.254.169.254), private and unique-local ranges are refused unless
 * the operator allows them (WEBHOOK_ALLOW_PRIVATE). The check runs on the URL at subscription
 * and, on Node, again on every address a name resolves to at delivery (DNS rebinding).
 */
import { FormatError } from '../../crypto/index.ts';

/** IPv4 ranges no webhook may reach: [first octets, prefix length]. */
const BLOCKED_V4: ReadonlyArray<readonly [number, number, number, number, number]> = [
  [0, 0, 0, 0, 8], // "this" network
  [10, 0, 0, 0, 8], // private
  [100, 64, 0, 0, 10], // carrier-grade NAT
  [127, 0, 0, 0, 8], // loopback
  [169, 254, 0, 0, 16], // link-local, cloud metadata
  [172, 16, 0, 0, 12], // private
  [192, 0, 0, 0, 24], // IETF protocol assignments
  [192, 168, 0, 0, 16], // private
  [198, 18, 0, 0, 15], // benchmarking
  [224, 0, 0, 0, 3], // multicast, reserved, broadcast
];

function v4Number(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/**
 * True when an IP address (v4 or v6 text) lies in a loopback, link-local, private, unique-local,
 * multicast or unspecified range, including IPv4 inside IPv6 (::ffff:10.0.0.1).
 * @example isPrivateAddress('169.254.169.254') // true
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = v4Number(bare);
  if (v4 !== undefined) {
    return BLOCKED_V4.some(([a, b, c, d, bits]) => {
      const base = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return (v4 & mask) >>> 0 === base;
    });
  }
  const mapped = /^(?:0*:)*(?:0*:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return isPrivateAddress(mapped[1]!);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (hex) {
    const n = (parseInt(hex[1]!, 16) << 16) | parseInt(hex[2]!, 16);
    return isPrivateAddress([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
  }
  if (!bare.includes(':')) return false;
  if (bare === '::' || bare === '::1') return true;
  const first = parseInt(bare.split(':')[0] || '0', 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 // multicast
  );
}

/**
 * Checks a webhook URL: http or https, no credentials, and unless `allowPrivate`, no loopback
 * name and no address in a private range. Names are checked again when delivery resolves them.
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
      'webhook.url: a loopback, link-local or private address is refused (the operator may allow them)',
    );
  }
  return url;
}
