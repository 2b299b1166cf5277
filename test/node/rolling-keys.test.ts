import { describe, expect, it } from 'vitest';
import {
  addressOf,
  bytesToBase64,
  bytesToHex,
  diversify,
  FixedKeyAccessory,
  formatAddress,
  generatePrivateKey,
  hexToBytes,
  keyPairOf,
  P224,
  PRIMARY_PERIOD_MS,
  RollingAccessory,
  rollingPrivateScalar,
  rollingPublicPoint,
  scalarFromBytes,
  secondaryIndexesFor,
  SecretChain,
  xCoordinate,
} from '../../crypto/index.ts';
import type { RollingKeyVector } from '../vectors.ts';
import { vectors } from './vectors.ts';

const { chain_A_upstream: chainA, chain_B: chainB } = vectors.rolling_keys;

function checkChain(masterHex: string, sk0Hex: string, keys: RollingKeyVector[]) {
  const d0 = scalarFromBytes(hexToBytes(masterHex));
  const p0 = P224.BASE.multiply(d0);
  const chain = new SecretChain(hexToBytes(sk0Hex));
  for (const v of keys) {
    const secret = chain.secretAt(v.index);
    expect(bytesToHex(secret), `SK_${v.index}`).toBe(v.sk_hex);
    const { u, v: vi } = diversify(secret);
    expect(u.toString(16).padStart(72, '0')).toBe(v.u_hex);
    expect(vi.toString(16).padStart(72, '0')).toBe(v.v_hex);
    const d = rollingPrivateScalar(d0, secret);
    expect(d.toString(16).padStart(56, '0')).toBe(v.private_key_hex);
    const pair = keyPairOf(hexToBytes(v.private_key_hex));
    expect(bytesToHex(pair.advertisementKey)).toBe(v.adv_key_hex);
    expect(bytesToBase64(pair.advertisementKey)).toBe(v.adv_key_b64);
    expect(bytesToBase64(pair.hashedId)).toBe(v.hashed_adv_key_b64);
    expect(formatAddress(addressOf(pair.advertisementKey))).toBe(v.ble_address);
    expect(xCoordinate(rollingPublicPoint(p0, secret))).toEqual(pair.advertisementKey);
  }
}

describe('rolling key vectors', () => {
  it('chain A (upstream constants) for indices 0–5, matching the Rust test at 1–4', () => {
    checkChain(chainA.master_private_key_hex, chainA.sk0_hex, chainA.keys);
    expect(chainA.keys.filter((k) => k.index >= 1 && k.index <= 4).map((k) => k.adv_key_b64)).toEqual(
      chainA.upstream_expected_adv_keys_b64_indices_1_to_4,
    );
  });

  it('chain B primary indices 0–5, 95, 96, 97 and secondary 0–5', () => {
    expect(chainB.primary.map((k) => k.index)).toEqual([0, 1, 2, 3, 4, 5, 95, 96, 97]);
    checkChain(chainB.master_private_key_hex, chainB.skn_hex, chainB.primary);
    checkChain(chainB.master_private_key_hex, chainB.sks_hex, chainB.secondary);
    expect(bytesToHex(keyPairOf(hexToBytes(chainB.master_private_key_hex)).publicKey)).toBe(
      chainB.master_public_uncompressed_hex,
    );
  });

  it('maps primary indices to the secondary candidates ⌊i/96⌋+1 and +2', () => {
    for (const example of chainB.primary_to_secondary_index_examples) {
      expect(secondaryIndexesFor(example.primary_index)).toEqual(example.secondary_candidates);
    }
  });

  it('turns time into the nominal index, and FindMy.py’s count with its (pairing, 0) alignment', () => {
    const keys = {
      masterKey: hexToBytes(chainB.master_private_key_hex),
      primarySecret: hexToBytes(chainB.skn_hex),
      secondarySecret: hexToBytes(chainB.sks_hex),
      pairedAt: new Date(chainB.time_to_index_examples.paired_at),
    };
    const nominal = new RollingAccessory(keys);
    const findMyPy = new RollingAccessory({ ...keys, alignment: { date: keys.pairedAt, index: 0 } });
    for (const example of chainB.time_to_index_examples.examples) {
      const t = new Date(example.t);
      expect(nominal.primaryIndexAt(t), example.t).toBe(example.nominal_primary_index);
      expect(secondaryIndexesFor(nominal.primaryIndexAt(t))[0]).toBe(example.nominal_secondary_index);
      expect(findMyPy.primaryIndexAt(t), example.t).toBe(example.findmypy_max_index);
    }
  });

  it('looks secrets up in any order and walks a range once', () => {
    const chain = new SecretChain(hexToBytes(chainB.skn_hex));
    const byIndex = new Map(chainB.primary.map((k) => [k.index, k.sk_hex]));
    expect(bytesToHex(chain.secretAt(97))).toBe(byIndex.get(97));
    expect(bytesToHex(chain.secretAt(3))).toBe(byIndex.get(3));
    expect(chain.secretsBetween(95, 97).map(bytesToHex)).toEqual([95, 96, 97].map((i) => byIndex.get(i)));
    expect(() => chain.secretAt(-1)).toThrow(RangeError);
  });
});

describe('keys an owner must query', () => {
  const pairedAt = new Date(chainB.time_to_index_examples.paired_at);
  const accessory = new RollingAccessory({
    masterKey: hexToBytes(chainB.master_private_key_hex),
    primarySecret: hexToBytes(chainB.skn_hex),
    secondarySecret: hexToBytes(chainB.sks_hex),
    pairedAt,
  });

  it('covers one index of slack either side and both secondary candidates', () => {
    const from = new Date(pairedAt.getTime() + 23 * 3_600_000);
    const until = new Date(pairedAt.getTime() + 25 * 3_600_000);
    const keys = accessory.candidateKeys(from, until);
    const primary = keys.filter((k) => k.kind === 'primary').map((k) => k.index);
    const secondary = keys.filter((k) => k.kind === 'secondary').map((k) => k.index);
    const first = accessory.primaryIndexAt(from) - 1;
    const last = accessory.primaryIndexAt(until) + 1;
    expect(primary).toEqual(Array.from({ length: last - first + 1 }, (_, k) => first + k));
    expect(secondary).toEqual([1, 2, 3]);
    for (const i of primary) expect(secondaryIndexesFor(i).every((j) => secondary.includes(j))).toBe(true);
  });

  it('gives each candidate the vector key of its index, its hashed id and a span covering its period', () => {
    const keys = accessory.candidateKeys(pairedAt, new Date(pairedAt.getTime() + 25 * 3_600_000));
    for (const v of chainB.primary) {
      const k = keys.find((c) => c.kind === 'primary' && c.index === v.index)!;
      expect(bytesToHex(k.privateKey)).toBe(v.private_key_hex);
      expect(k.hashedIdBase64).toBe(v.hashed_adv_key_b64);
      const nominalStart = pairedAt.getTime() + (v.index - 1) * PRIMARY_PERIOD_MS;
      expect(k.from.getTime()).toBeLessThanOrEqual(nominalStart - PRIMARY_PERIOD_MS);
      expect(k.until.getTime()).toBeGreaterThanOrEqual(nominalStart + 2 * PRIMARY_PERIOD_MS);
    }
    for (const v of chainB.secondary.filter((s) => s.index >= 1 && s.index <= 3)) {
      const k = keys.find((c) => c.kind === 'secondary' && c.index === v.index)!;
      expect(k.hashedIdBase64).toBe(v.hashed_adv_key_b64);
      expect(k.from.getTime()).toBeLessThanOrEqual(pairedAt.getTime() + Math.max(0, (v.index - 2) * 86_400_000));
      expect(k.until.getTime()).toBeGreaterThanOrEqual(pairedAt.getTime() + v.index * 86_400_000);
    }
  });

  it('asks for about 96 primary and a few secondary keys per day of window', () => {
    const until = new Date(pairedAt.getTime() + 30 * 86_400_000);
    const keys = accessory.candidateKeys(new Date(until.getTime() - 7 * 86_400_000), until);
    expect(keys.filter((k) => k.kind === 'primary').length).toBe(7 * 96 + 3);
    expect(keys.filter((k) => k.kind === 'secondary').length).toBe(9);
  });

  it('treats a fixed key list as candidates for the whole window', () => {
    const privateKeys = [generatePrivateKey(), generatePrivateKey()];
    const from = new Date('2026-01-01T00:00:00Z');
    const until = new Date('2026-01-08T00:00:00Z');
    const keys = new FixedKeyAccessory(privateKeys).candidateKeys(from, until);
    expect(keys.map((k) => [k.kind, k.index, k.from, k.until])).toEqual([
      ['fixed', 0, from, until],
      ['fixed', 1, from, until],
    ]);
    expect(keys.map((k) => k.hashedIdBase64)).toEqual(privateKeys.map((d) => bytesToBase64(keyPairOf(d).hashedId)));
    expect(() => new FixedKeyAccessory([])).toThrow(/at least one key/);
  });
});
