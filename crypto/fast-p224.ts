/**
 * The fast P-224 engine: arithmetic specialised to p = 2²²⁴ − 2⁹⁶ + 1 in WebAssembly (source:
 * wasm/p224.as.ts, compiled by `npm run build:wasm`), with a fixed-base comb for G, 5-bit
 * signed windows for other points and one shared inversion per batch. Secret scalars are
 * handled in constant time. Same answers as {@link nobleP224}, many times faster.
 *
 * Loading is the one runtime-specific step: Node and browsers may compile the module from the
 * bytes embedded here; Cloudflare Workers refuse run-time compilation and pass the module they
 * imported at build time (`import p224Module from '…/p224.wasm'`).
 */
import { base64ToBytes, expectLength } from './bytes.ts';
import type { P224Engine } from './engine.ts';
import { FIELD_LENGTH, scalarOutOfRange, UNCOMPRESSED_POINT_LENGTH } from './p224.ts';
import { P224_WASM_BASE64 } from './wasm/p224-bytes.ts';

const COORDINATES_LENGTH = 2 * FIELD_LENGTH;

interface P224Exports {
  readonly memory: WebAssembly.Memory;
  readonly BATCH: WebAssembly.Global;
  scalarBuffer(): number;
  inputBuffer(): number;
  outputBuffer(): number;
  statusBuffer(): number;
  sharedSecrets(count: number): number;
  basePoints(count: number): void;
  validatePoints(count: number): void;
}

// Workers' type declarations leave out run-time compilation, which that runtime refuses.
const compiler = WebAssembly as unknown as {
  Module: new (bytes: Uint8Array) => WebAssembly.Module;
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
};

/**
 * Compiles the embedded module synchronously: for Node, and for browsers off the main thread.
 * @example const engine = fastP224(compileP224Module());
 */
export function compileP224Module(): WebAssembly.Module {
  return new compiler.Module(base64ToBytes(P224_WASM_BASE64));
}

/**
 * Compiles the embedded module asynchronously, as a browser's main thread requires.
 * @example const engine = fastP224(await compileP224ModuleAsync());
 */
export function compileP224ModuleAsync(): Promise<WebAssembly.Module> {
  return compiler.compile(base64ToBytes(P224_WASM_BASE64));
}

/**
 * An engine on its own instance of the module: 1.25 MiB of memory, including a 110 KB table for
 * G built on first use (about 10 ms); keep one per process or isolate.
 * @example openReports(payloads, privateKey, fastP224(compileP224Module()))
 */
export function fastP224(module: WebAssembly.Module): P224Engine {
  const wasm = new WebAssembly.Instance(module, {}).exports as unknown as P224Exports;
  const batch = wasm.BATCH.value as number;
  const scalarAt = wasm.scalarBuffer();
  const inputAt = wasm.inputBuffer();
  const outputAt = wasm.outputBuffer();
  const statusAt = wasm.statusBuffer();
  const memory = () => new Uint8Array(wasm.memory.buffer);

  return {
    publicKeys(privateKeys) {
      // Only lengths are checked here: the module checks the range in constant time, where a
      // BigInt comparison would not be.
      privateKeys.forEach((d) => expectLength(d, FIELD_LENGTH, 'private key'));
      const publicKeys: Uint8Array[] = [];
      for (let start = 0; start < privateKeys.length; start += batch) {
        const chunk = privateKeys.slice(start, start + batch);
        let bytes = memory();
        chunk.forEach((d, i) => bytes.set(d, inputAt + i * FIELD_LENGTH));
        wasm.basePoints(chunk.length);
        bytes = memory();
        if (bytes.subarray(statusAt, statusAt + chunk.length).includes(0)) throw scalarOutOfRange();
        for (let i = 0; i < chunk.length; i++) {
          const publicKey = new Uint8Array(UNCOMPRESSED_POINT_LENGTH);
          publicKey[0] = 0x04;
          publicKey.set(bytes.subarray(outputAt + i * COORDINATES_LENGTH, outputAt + (i + 1) * COORDINATES_LENGTH), 1);
          publicKeys.push(publicKey);
        }
      }
      return publicKeys;
    },

    sharedSecrets(privateKey, peers) {
      expectLength(privateKey, FIELD_LENGTH, 'private key');
      memory().set(privateKey, scalarAt);
      // An empty batch still checks the key, as the reference does.
      if (wasm.sharedSecrets(0) === 0) throw scalarOutOfRange();
      const secrets: (Uint8Array | null)[] = [];
      for (let start = 0; start < peers.length; start += batch) {
        const chunk = peers.slice(start, start + batch);
        let bytes = memory();
        // A peer without the 04 prefix or of another length never reaches the module.
        const wellFormed = chunk.map((peer) => peer.length === UNCOMPRESSED_POINT_LENGTH && peer[0] === 0x04);
        chunk.forEach((peer, i) => {
          if (wellFormed[i]) bytes.set(peer.subarray(1), inputAt + i * COORDINATES_LENGTH);
          else bytes.fill(0, inputAt + i * COORDINATES_LENGTH, inputAt + (i + 1) * COORDINATES_LENGTH);
        });
        wasm.sharedSecrets(chunk.length);
        bytes = memory();
        for (let i = 0; i < chunk.length; i++) {
          const ok = wellFormed[i] && bytes[statusAt + i] === 1;
          secrets.push(ok ? bytes.slice(outputAt + i * FIELD_LENGTH, outputAt + (i + 1) * FIELD_LENGTH) : null);
        }
      }
      return secrets;
    },

    isUncompressedPoint(bytes) {
      if (bytes.length !== UNCOMPRESSED_POINT_LENGTH || bytes[0] !== 0x04) return false;
      memory().set(bytes.subarray(1), inputAt);
      wasm.validatePoints(1);
      return memory()[statusAt] === 1;
    },
  };
}
