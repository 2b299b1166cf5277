/**
 * The owner page's worker: derives candidate keys and opens reports with the fast WebAssembly
 * engine, off the page's main thread. Private keys reach it by postMessage and never leave the
 * page.
 */
import { compileP224ModuleAsync, fastP224, type P224Engine } from '../../crypto/index.ts';
import { readKeyFile } from '../sdk/key-files.ts';
import { candidateKeysOf, openLocated } from '../sdk/owner.ts';
import type { WorkerReply, WorkerRequest } from './worker-messages.ts';

let engine: Promise<P224Engine> | undefined;

self.onmessage = async ({ data }: MessageEvent<WorkerRequest>) => {
  const reply = (message: WorkerReply, transfer: Transferable[] = []) =>
    (self as unknown as Worker).postMessage(message, transfer);
  try {
    const p224 = await (engine ??= compileP224ModuleAsync().then(fastP224));
    if (data.type === 'derive') {
      const devices = data.files.flatMap((file) => readKeyFile(file.bytes, file.name));
      const keys = [...candidateKeysOf(devices, data.since, data.until, p224).values()];
      reply({ type: 'derived', id: data.id, devices: devices.map((d) => d.name), keys });
    } else {
      const started = performance.now();
      const located = data.groups.flatMap((group) => openLocated(group.payloads, group.key, group.device, p224));
      reply({ type: 'opened', id: data.id, located, milliseconds: performance.now() - started });
    }
  } catch (error) {
    reply({ type: 'failed', id: data.id, message: (error as Error).message });
  }
};
