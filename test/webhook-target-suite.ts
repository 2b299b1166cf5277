/**
 * Which webhook targets are refused, table-driven from IANA's IPv4 and IPv6 Special-Purpose
 * Address Registries: one address inside each entry, in the text that delivery's resolver gives
 * and, through the URL parser of the runtime under test, as a URL. Pure, so workerd runs it too.
 */
import { describe, expect, it } from 'vitest';
import { isPrivateAddress, webhookTarget } from '../src/notify/webhook-target.ts';

/** IANA IPv4 Special-Purpose Address Registry (2025), one address in each entry. */
const IPV4_REGISTRY: ReadonlyArray<readonly [entry: string, inside: string]> = [
  ['0.0.0.0/8', '0.1.2.3'],
  ['0.0.0.0/32', '0.0.0.0'],
  ['10.0.0.0/8', '10.255.0.1'],
  ['100.64.0.0/10', '100.127.255.254'],
  ['127.0.0.0/8', '127.0.0.1'],
  ['169.254.0.0/16', '169.254.169.254'],
  ['172.16.0.0/12', '172.31.0.1'],
  ['192.0.0.0/24', '192.0.0.8'],
  ['192.0.0.0/29', '192.0.0.1'],
  ['192.0.0.9/32', '192.0.0.9'],
  ['192.0.0.10/32', '192.0.0.10'],
  ['192.0.0.170/32', '192.0.0.170'],
  ['192.0.2.0/24', '192.0.2.1'],
  ['192.31.196.0/24', '192.31.196.1'],
  ['192.52.193.0/24', '192.52.193.1'],
  ['192.88.99.0/24', '192.88.99.1'],
  ['192.168.0.0/16', '192.168.1.1'],
  ['192.175.48.0/24', '192.175.48.1'],
  ['198.18.0.0/15', '198.19.255.1'],
  ['198.51.100.0/24', '198.51.100.1'],
  ['203.0.113.0/24', '203.0.113.7'],
  ['240.0.0.0/4', '250.1.2.3'],
  ['255.255.255.255/32', '255.255.255.255'],
  ['224.0.0.0/4 (multicast registry)', '239.1.2.3'],
];

/** IANA IPv6 Special-Purpose Address Registry (2025), one address in each entry. */
const IPV6_REGISTRY: ReadonlyArray<readonly [entry: string, inside: string]> = [
  ['::1/128', '::1'],
  ['::/128', '::'],
  ['::ffff:0:0/96', '::ffff:127.0.0.1'],
  ['64:ff9b::/96', '64:ff9b::10.0.0.1'],
  ['64:ff9b:1::/48', '64:ff9b:1::8.8.8.8'],
  ['100::/64', '100::1'],
  ['100:0:0:1::/64', '100:0:0:1::1'],
  ['2001::/23', '2001:1ff::1'],
  ['2001:1::1/128', '2001:1::1'],
  ['2001:2::/48', '2001:2::1'],
  ['2001:3::/32', '2001:3::1'],
  ['2001:4:112::/48', '2001:4:112::1'],
  ['2001:20::/28', '2001:20::1'],
  ['2001:30::/28', '2001:30::1'],
  ['2001:db8::/32', '2001:db8::1'],
  ['2002::/16', '2002:c0a8:101::1'], // 6to4 of 192.168.1.1
  ['2620:4f:8000::/48', '2620:4f:8000::1'],
  ['3fff::/20', '3fff:fff::1'],
  ['5f00::/16', '5f00::1'],
  ['fc00::/7', 'fd12:3456::1'],
  ['fe80::/10', 'fe80::1'],
  ['fec0::/10 (address space registry: site-local)', 'fec0::1'],
  ['ff00::/8 (address space registry: multicast)', 'ff02::1'],
];

/** Every IPv6 form that carries an IPv4 address, around a refused and a public one. */
const CARRIERS: ReadonlyArray<readonly [form: string, refused: string, open: string]> = [
  ['IPv4-compatible ::/96', '::127.0.0.1', '::8.8.8.8'],
  ['IPv4-mapped ::ffff:0:0/96', '::ffff:127.0.0.1', '::ffff:8.8.8.8'],
  ['IPv4-translated ::ffff:0:0:0/96', '::ffff:0:127.0.0.1', '::ffff:0:8.8.8.8'],
  ['NAT64 64:ff9b::/96', '64:ff9b::127.0.0.1', '64:ff9b::8.8.8.8'],
  ['6to4 2002::/16', '2002:7f00:1::', '2002:808:808::1'],
  ['Teredo 2001::/32, server', '2001:0:a00:1::1', '2001:0:808:808:0:0:f7f7:f7f7'],
  // The client's address is stored inverted: 80ff:fffe is 127.0.0.1.
  ['Teredo 2001::/32, client', '2001:0:808:808::80ff:fffe', '2001:0:808:808::f7f7:f7f7'],
];

/** What issue 25 found accepted. */
const FOUND_ACCEPTED = [
  'http://[::127.0.0.1]/',
  'http://[::ffff:0:127.0.0.1]/',
  'http://[64:ff9b::127.0.0.1]/',
  'http://[2002:7f00:1::]/',
  'http://[fec0::1]/',
  'http://198.51.100.1/',
];

const PUBLIC = ['8.8.8.8', '93.184.215.14', '1.1.1.1', '2606:4700::1111', '2a00:1450:4001::1', '2001:4860:4860::8888'];

const urlOf = (address: string) => (address.includes(':') ? `http://[${address}]:8080/hook` : `http://${address}/`);
const refused = /address is refused/;

export function webhookTargetSuite(): void {
  describe('webhook targets against the IANA special-purpose registries', () => {
    it.each(IPV4_REGISTRY)('refuses IPv4 %s', (_, address) => {
      expect(isPrivateAddress(address)).toBe(true);
      expect(() => webhookTarget(urlOf(address), false)).toThrow(refused);
    });

    it.each(IPV6_REGISTRY)('refuses IPv6 %s', (_, address) => {
      expect(isPrivateAddress(address)).toBe(true);
      expect(() => webhookTarget(urlOf(address), false)).toThrow(refused);
    });

    it.each(CARRIERS)('judges %s by the IPv4 address it carries', (_, bad, good) => {
      expect(isPrivateAddress(bad)).toBe(true);
      expect(() => webhookTarget(urlOf(bad), false)).toThrow(refused);
      expect(isPrivateAddress(good)).toBe(false);
      expect(webhookTarget(urlOf(good), false).port).toBe('8080');
    });

    it('refuses every target issue 25 found accepted', () => {
      for (const url of FOUND_ACCEPTED) expect(() => webhookTarget(url, false), url).toThrow(refused);
    });

    it('accepts public addresses, and refused ones when the operator allows private targets', () => {
      for (const address of PUBLIC) {
        expect(isPrivateAddress(address), address).toBe(false);
        expect(webhookTarget(urlOf(address), false).protocol).toBe('http:');
      }
      for (const [, address] of [...IPV4_REGISTRY, ...IPV6_REGISTRY]) {
        expect(webhookTarget(urlOf(address), true).pathname).not.toBe('');
      }
    });
  });
}
