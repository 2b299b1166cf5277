/**
 * `npm run bench:crypto`: the owner's and finder's costs on this machine, with the reference
 * figures (noble's plain ECDH, Node's raw ECDH, the naive key derivation) measured in the same
 * run, since absolute speeds vary between machines and ratios do not.
 */
import { createECDH } from 'node:crypto';
import os from 'node:os';
import {
  bytesToBigInt,
  generatePrivateKey,
  keyPairOf,
  P224,
  PRIMARY_KEYS_PER_SECONDARY,
  reportOpener,
  RollingAccessory,
  rollingPublicPoint,
  SecretChain,
  sealReport,
  xCoordinate,
} from '../crypto/index.ts';
import { nodeKeyAgreement } from '../src/node-key-agreement.ts';
import { interleavedMedians, printTable, rate, type BenchCase } from './measure.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WEEK_PRIMARY_KEYS = 7 * PRIMARY_KEYS_PER_SECONDARY;
const DAY_MS = 86_400_000;

function randomAccessory(pairedAt: Date) {
  const secret = () => crypto.getRandomValues(new Uint8Array(32));
  return { masterKey: generatePrivateKey(), primarySecret: secret(), secondarySecret: secret(), pairedAt };
}

// A week of keys, as `locate` asks for them: 30 days after pairing, the last 7 days.
const pairedAt = new Date(Date.now() - 30 * DAY_MS);
const until = new Date(pairedAt.getTime() + 30 * DAY_MS);
const from = new Date(until.getTime() - 7 * DAY_MS);
let weekKeyCount = 0;
const week: BenchCase = {
  batch: 1,
  operation: () => {
    weekKeyCount = new RollingAccessory(randomAccessory(pairedAt)).candidateKeys(from, until).length;
  },
};
// The naive derivation an accessory does, Pᵢ = uᵢ·P₀ + vᵢ·G, for the same number of primary keys.
const naiveKeys = randomAccessory(pairedAt);
const masterPublic = P224.BASE.multiply(bytesToBigInt(naiveKeys.masterKey));
const naive: BenchCase = {
  batch: 1,
  operation: () => {
    const secrets = new SecretChain(naiveKeys.primarySecret).secretsBetween(2880 - WEEK_PRIMARY_KEYS, 2880);
    for (const secret of secrets) xCoordinate(rollingPublicPoint(masterPublic, secret));
  },
};
const [weekMs, naiveMs] = interleavedMedians(Math.min(RUNS, 3), [week, naive]) as [number, number];

// Opening: one owner key, many reports sealed to it by different finders; the references are
// the bare ECDH of the same reports.
const owner = keyPairOf(generatePrivateKey());
const sighting = { timestamp: new Date(), confidence: 2, latitude: 52.52, longitude: 13.405, accuracy: 35, status: 0 };
const payloads = Array.from({ length: 200 }, () => sealReport(owner.advertisementKey, sighting));
const peers = payloads.map((p) => p.subarray(5, 62));
const d = bytesToBigInt(owner.privateKey);
const openPortable = reportOpener(owner.privateKey);
const openNode = reportOpener(owner.privateKey, nodeKeyAgreement);
const nodeEcdh = createECDH('secp224r1');
nodeEcdh.setPrivateKey(owner.privateKey);
const cases: BenchCase[] = [
  { batch: payloads.length, operation: (i) => openPortable(payloads[i]!) },
  { batch: payloads.length, operation: (i) => openNode(payloads[i]!) },
  { batch: 50, operation: () => sealReport(owner.advertisementKey, sighting) },
  { batch: 50, operation: (i) => P224.fromBytes(peers[i]!).multiply(d).toAffine() },
  { batch: 100, operation: (i) => P224.fromBytes(peers[i]!).multiplyUnsafe(d).toAffine() },
  { batch: payloads.length, operation: (i) => nodeEcdh.computeSecret(peers[i]!) },
];
const [openPortableRate, openNodeRate, sealRate, nobleConstantTime, nobleVariableTime, nodeRaw] = interleavedMedians(RUNS, cases).map((ms, k) =>
  rate(cases[k]!, ms),
) as [number, number, number, number, number, number];

// The targets were set on a machine where the references measured naive 2.1 s,
// noble variable-time 661/s and node:crypto 1.3–1.9k/s (../shared/notes/PERFORMANCE.md).
// Scaling each target by this run's reference makes the comparison fair on any machine.
const scaledWeekTarget = 250 * (naiveMs / 2100);
const scaledPortableTarget = 600 * (nobleVariableTime / 661);
const scaledNodeTarget = 1500 * (nodeRaw / 1600);
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

console.log(`bench:crypto — ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, medians of ${RUNS} runs`);
printTable('Owner: a week of keys for one rolling accessory', [
  [`candidate keys (${weekKeyCount}: primary + secondary)`, weekMs.toFixed(0), `ms   target ≤ 250 ms; scaled to this machine ≤ ${scaledWeekTarget.toFixed(0)} ms: ${verdict(weekMs <= scaledWeekTarget)}`],
  [`reference: naive uᵢ·P₀ + vᵢ·G, ${WEEK_PRIMARY_KEYS} keys`, naiveMs.toFixed(0), `ms   (${(naiveMs / weekMs).toFixed(1)}× slower)`],
]);
printTable('Owner: reports opened per second, one key', [
  ['portable (crypto/, pure JS)', openPortableRate.toFixed(0), `/s   target ≥ 600/s; scaled ≥ ${scaledPortableTarget.toFixed(0)}/s: ${verdict(openPortableRate >= scaledPortableTarget)}`],
  ['accelerated (node:crypto engine)', openNodeRate.toFixed(0), `/s   target ≥ 1,500/s; scaled ≥ ${scaledNodeTarget.toFixed(0)}/s: ${verdict(openNodeRate >= scaledNodeTarget)}`],
  ['reference: noble ECDH, constant-time', nobleConstantTime.toFixed(0), '/s   (ECDH only)'],
  ['reference: noble ECDH, variable-time', nobleVariableTime.toFixed(0), '/s   (ECDH only)'],
  ['reference: node:crypto ECDH', nodeRaw.toFixed(0), '/s   (ECDH only)'],
]);
printTable('Finder: reports sealed per second', [['portable (crypto/)', sealRate.toFixed(0), '/s']]);
