/**
 * The SDK's P-224 engine: the fast WebAssembly one, compiled once per process from the module
 * embedded in crypto/ (asynchronously, as browsers' main threads require). Cloudflare Workers
 * refuse run-time compilation; there, pass `engine: fastP224(importedModule)` to the SDK.
 */
import { compileP224ModuleAsync, fastP224, type P224Engine } from '../../crypto/index.ts';

let compiled: Promise<P224Engine> | undefined;

/**
 * @example const engine = await sdkP224(); openReports(payloads, privateKey, engine)
 */
export function sdkP224(): Promise<P224Engine> {
  return (compiled ??= compileP224ModuleAsync().then(fastP224, (error: Error) => {
    compiled = undefined;
    throw new Error(
      `this runtime cannot compile WebAssembly at run time (${error.message}); pass an engine built with fastP224(module)`,
    );
  }));
}
