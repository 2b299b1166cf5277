/**
 * Who a per-client limit counts. An IPv4 address is one client. An IPv6 address is counted by
 * its network prefix (`CLIENT_IPV6_PREFIX`, default /64): one subscriber commonly holds a whole
 * /64, so keying by the full address would give one attacker 2⁶⁴ clients. An IPv4 address
 * written as IPv6 (`::ffff:192.0.2.1`, as a dual-stack socket reports it) counts as that IPv4
 * address. Anything else (`unknown`, a proxy's odd header) is its own key.
 */

/** Default of CLIENT_IPV6_PREFIX: the usual size of one customer's IPv6 network. */
export const DEFAULT_IPV6_PREFIX = 64;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * @example clientKey('2001:db8:1:2:aaaa::1', 64) // '2001:db8:1:2::/64'
 * @example clientKey('::ffff:192.0.2.1', 64) // '192.0.2.1'
 */
export function clientKey(address: string, ipv6Prefix: number): string {
  const text = address.trim().replace(/^\[(.*)\]$/, '$1');
  if (!text.includes(':')) return text;
  const groups = ipv6Groups(text.replace(/%.*$/, ''));
  if (!groups) return text;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.');
  const kept = groups.map((group, index) => {
    const bits = Math.min(16, Math.max(0, ipv6Prefix - index * 16));
    return bits === 0 ? 0 : group & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${compress(kept)}/${ipv6Prefix}`;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail allowed), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const dotted = IPV4.exec(text.slice(text.lastIndexOf(':') + 1));
  if (dotted) {
    const bytes = dotted.slice(1).map(Number);
    if (bytes.some((b) => b > 255)) return undefined;
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    text = `${text.slice(0, text.lastIndexOf(':') + 1)}${hex(bytes[0]!, bytes[1]!)}:${hex(bytes[2]!, bytes[3]!)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const given = left.length + right.length;
  if (
    [...left, ...right].some(Number.isNaN) ||
    given > (halves.length === 2 ? 7 : 8) ||
    (halves.length === 1 && given !== 8)
  )
    return undefined;
  return [...left, ...new Array<number>(8 - given).fill(0), ...right];
}

/** The RFC 5952 text of eight groups: lower case, the longest run of zero groups as `::`. */
function compress(groups: readonly number[]): string {
  let best = { start: -1, length: 1 };
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > best.length) best = { start, length };
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
