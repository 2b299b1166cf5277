import { describe, expect, it } from 'vitest';
import { clientKey } from './client-key.ts';

describe('clientKey', () => {
  it('counts an IPv6 address by its prefix, so the addresses of one /64 are one client', () => {
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64)).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:DB8:1:2::1', 64)).toBe('2001:db8:1:2::/64');
    expect(clientKey('[2001:db8:1:2::ffff]', 64)).toBe('2001:db8:1:2::/64');
    expect(clientKey('fe80::1%eth0', 64)).toBe('fe80::/64');
    expect(clientKey('2001:db8:1:3::1', 64)).toBe('2001:db8:1:3::/64');
    expect(clientKey('2001:db8:1:2ff::1', 56)).toBe('2001:db8:1:200::/56');
    expect(clientKey('2001:db8::1', 128)).toBe('2001:db8::1/128');
    expect(clientKey('::1', 64)).toBe('::/64');
  });

  it('counts an IPv4 address, however written, as itself', () => {
    expect(clientKey('192.0.2.1', 64)).toBe('192.0.2.1');
    expect(clientKey('::ffff:192.0.2.1', 64)).toBe('192.0.2.1');
    expect(clientKey('::ffff:c000:201', 64)).toBe('192.0.2.1');
  });

  it('keeps what is not an address as it is', () => {
    expect(clientKey('unknown', 64)).toBe('unknown');
    expect(clientKey('1:2:3', 64)).toBe('1:2:3');
    expect(clientKey('1::2::3', 64)).toBe('1::2::3');
    expect(clientKey('::ffff:1.2.3.400', 64)).toBe('::ffff:1.2.3.400');
  });
});
