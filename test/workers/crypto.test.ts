// Runs inside workerd, the Workers runtime: proof that crypto/ needs nothing from Node.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToHex,
  compileP224Module,
  compileP224ModuleAsync,
  hexToBytes,
  keyPairOf,
  openReport,
  RollingAccessory,
  sealReport,
} from '../../crypto/index.ts';
import { workerP224 } from '../../src/runtime/workers/worker.ts';
import { engineSuite } from '../engine-suite.ts';
import { locationReportOf, type Vectors } from '../vectors.ts';

const vectors = (env as unknown as { VECTORS: Vectors }).VECTORS;

describe('crypto/ in workerd', () => {
  it('is really inside workerd', () => {
    expect((globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent).toBe(
      'Cloudflare-Workers',
    );
  });

  it('opens every vector report, 88 and 89 bytes', () => {
    for (const v of vectors.reports) {
      for (const payload of [v.payload_88_b64, v.payload_89_b64]) {
        const opened = openReport(base64ToBytes(payload), hexToBytes(v.inputs.owner_private_key_hex));
        expect(opened.latitude).toBe(v.decrypted.latitude);
        expect(opened.longitude).toBe(v.decrypted.longitude);
        expect(opened.timestamp.getTime()).toBe(v.decrypted.timestamp_unix * 1000);
      }
    }
  });

  it('seals a vector report byte for byte', () => {
    const v = vectors.reports[0]!;
    const owner = keyPairOf(hexToBytes(v.inputs.owner_private_key_hex));
    const payload = sealReport(owner.advertisementKey, locationReportOf(v), {
      ephemeralPrivateKey: hexToBytes(v.inputs.ephemeral_private_key_hex),
    });
    expect(bytesToHex(payload)).toBe(v.payload_88_hex);
  });

  it('derives rolling keys', () => {
    const b = vectors.rolling_keys.chain_B;
    const accessory = new RollingAccessory({
      masterKey: hexToBytes(b.master_private_key_hex),
      primarySecret: hexToBytes(b.skn_hex),
      secondarySecret: hexToBytes(b.sks_hex),
      pairedAt: new Date(b.time_to_index_examples.paired_at),
    });
    expect(bytesToHex(accessory.primaryKey(97).privateKey)).toBe(
      b.primary.find((k) => k.index === 97)!.private_key_hex,
    );
  });
});

// The fast engine from the module the Worker imports at build time.
engineSuite('fast engine in workerd', workerP224, vectors);

describe('loading WebAssembly in workerd', () => {
  it('refuses to compile at run time, which is why the Worker imports its module', async () => {
    expect(() => compileP224Module()).toThrow();
    await expect(compileP224ModuleAsync()).rejects.toThrow();
  });
});
