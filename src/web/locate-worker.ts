/**
 * The owner page's worker: derives candidate keys and opens reports with the fast WebAssembly
 * engine, off the page's main thread. Private keys reach it by postMessage and never leave the
 * page.
 */
import { compileP224ModuleAsync, fastP224, parseContact, parseMessage, type P224Engine } from '../../crypto/index.ts';
import { readKeyFile } from '../sdk/key-files.ts';
import { liveNoticeWindow, markFound, markLost, notTakenText } from '../sdk/lost-mode.ts';
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
    } else if (data.type === 'lost') {
      // Sealing and signing a notice per key (about 680 for a week) is work for a worker too.
      const { device, server, notice } = data.request;
      const devices = data.files.flatMap((file) => readKeyFile(file.bytes, file.name)).filter((d) => d.name === device);
      const now = new Date();
      const result = notice
        ? await markLost(
            devices,
            {
              message: parseMessage(notice.message),
              contact: parseContact(notice.contact),
              fullContact: notice.fullContact,
            },
            { server, from: now, until: new Date(now.getTime() + notice.days * 86_400_000), engine: p224, now },
          )
        : await markFound(devices, { server, ...liveNoticeWindow(now), engine: p224 });
      reply({ type: 'lost', id: data.id, keys: result.keys, changed: result.changed, notTaken: notTakenText(result) });
    } else {
      const started = performance.now();
      const located = data.groups.flatMap((group) => openLocated(group.payloads, group.key, group.device, p224));
      reply({ type: 'opened', id: data.id, located, milliseconds: performance.now() - started });
    }
  } catch (error) {
    reply({ type: 'failed', id: data.id, message: (error as Error).message });
  }
};
