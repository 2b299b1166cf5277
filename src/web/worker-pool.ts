/**
 * Workers for the owner page, one per core by default: key derivation goes to one, opening
 * reports is spread over all of them in small parts, so that progress moves and the map stays
 * responsive. The worker script is fetched and checked against the hash the build pinned into
 * this bundle before it runs: a Worker cannot carry subresource integrity itself.
 */
import type { LocatedReport, OwnedKey } from '../sdk/owner.ts';
import type { KeyFileInput, LostModeRequest, OpenGroup, WorkerReply, WorkerRequest } from './worker-messages.ts';

declare const WORKER_SHA256: string;

/** Reports per message to a worker: small enough for progress to move, large enough to be cheap. */
const REPORTS_PER_PART = 200;

async function verifiedWorkerUrl(url: string): Promise<string> {
  const bytes = await (await fetch(url)).arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (hex !== WORKER_SHA256) throw new Error('the worker script is not the one this page was built with');
  return URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' }));
}

/** @example const pool = await WorkerPool.start(navigator.hardwareConcurrency) */
export class WorkerPool {
  readonly #workers: Worker[];
  #nextId = 0;
  readonly #waiting = new Map<number, (reply: WorkerReply) => void>();

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    for (const worker of workers)
      worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
        this.#waiting.get(data.id)?.(data);
        this.#waiting.delete(data.id);
      };
  }

  static async start(size: number, scriptUrl = new URL('app/locate-worker.js', document.baseURI).href) {
    const url = await verifiedWorkerUrl(scriptUrl);
    return new WorkerPool(Array.from({ length: Math.max(1, size) }, () => new Worker(url, { type: 'module' })));
  }

  get size(): number {
    return this.#workers.length;
  }

  #ask(worker: Worker, request: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve) => {
      this.#waiting.set(request.id, resolve);
      worker.postMessage(request);
    });
  }

  async derive(files: KeyFileInput[], since: Date, until: Date): Promise<{ devices: string[]; keys: OwnedKey[] }> {
    const reply = await this.#ask(this.#workers[0]!, { type: 'derive', id: this.#nextId++, files, since, until });
    if (reply.type === 'failed') throw new Error(reply.message);
    if (reply.type !== 'derived') throw new Error('unexpected worker reply');
    return reply;
  }

  /** Turns lost mode on (publishing a notice on every key of the period) or off, for one device. */
  async lostMode(
    files: KeyFileInput[],
    request: LostModeRequest,
  ): Promise<{ keys: number; changed: number; notTaken: string }> {
    const reply = await this.#ask(this.#workers[0]!, { type: 'lost', id: this.#nextId++, files, request });
    if (reply.type === 'failed') throw new Error(reply.message);
    if (reply.type !== 'lost') throw new Error('unexpected worker reply');
    return reply;
  }

  /** Opens every group, spread over the workers; `onProgress` counts reports opened. */
  async open(
    groups: OpenGroup[],
    onProgress: (done: number, total: number) => void,
  ): Promise<{ located: LocatedReport[]; workerMilliseconds: number }> {
    const parts: OpenGroup[][] = [[]];
    let inPart = 0;
    for (const group of groups) {
      if (inPart >= REPORTS_PER_PART) {
        parts.push([]);
        inPart = 0;
      }
      parts[parts.length - 1]!.push(group);
      inPart += group.payloads.length;
    }
    const total = groups.reduce((n, g) => n + g.payloads.length, 0);
    const located: LocatedReport[] = [];
    let done = 0;
    let workerMilliseconds = 0;
    let next = 0;
    await Promise.all(
      this.#workers.map(async (worker) => {
        while (next < parts.length) {
          const part = parts[next++]!;
          const reply = await this.#ask(worker, { type: 'open', id: this.#nextId++, groups: part });
          if (reply.type === 'failed') throw new Error(reply.message);
          if (reply.type !== 'opened') throw new Error('unexpected worker reply');
          located.push(...reply.located);
          workerMilliseconds += reply.milliseconds;
          done += part.reduce((n, g) => n + g.payloads.length, 0);
          onProgress(done, total);
        }
      }),
    );
    return { located, workerMilliseconds };
  }

  close(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}
