import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileP224Module, compileP224ModuleAsync, fastP224 } from '../../crypto/index.ts';
import { P224_WASM_BASE64 } from '../../crypto/wasm/p224-bytes.ts';
import { engineSuite } from '../engine-suite.ts';
import { vectors } from './vectors.ts';

engineSuite('fast engine in Node', fastP224(compileP224Module()), vectors);

describe('the fast engine’s module', () => {
  it('is what the AssemblyScript source in the repository compiles to, byte for byte', () => {
    const out = mkdtempSync(join(tmpdir(), 'crowdfind-wasm-'));
    execFileSync(process.execPath, ['scripts/build-wasm.mjs', out]);
    expect(readFileSync(join(out, 'p224.wasm')).toString('base64')).toBe(P224_WASM_BASE64);
    expect(readFileSync('crypto/wasm/p224.wasm')).toEqual(readFileSync(join(out, 'p224.wasm')));
    expect(readFileSync('crypto/wasm/p224-bytes.ts', 'utf8')).toBe(readFileSync(join(out, 'p224-bytes.ts'), 'utf8'));
  });

  it('needs no imports, and compiles asynchronously as well', async () => {
    const module = await compileP224ModuleAsync();
    expect(WebAssembly.Module.imports(module)).toEqual([]);
    expect(fastP224(module).publicKeys([new Uint8Array(28).fill(1)])).toEqual(
      fastP224(compileP224Module()).publicKeys([new Uint8Array(28).fill(1)]),
    );
  });
});
