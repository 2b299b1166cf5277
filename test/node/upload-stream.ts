/**
 * Finders uploading to a real server until told to stop, keeping every report the server
 * acknowledged: what the crash and backup tests check survives.
 */
import { expect } from 'vitest';
import { hashedIdPopulation, syntheticPayload } from '../../bench/synthetic-reports.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';
import { counted } from '../counted.ts';

export interface SentReport {
  readonly hashedId: Uint8Array;
  readonly payload: Uint8Array;
}

/** The hashed ids the streams' reports are spread over. */
export const STREAM_IDS = hashedIdPopulation(50);

function batch(size: number) {
  const now = Math.floor(Date.now() / 1000);
  const reports = Array.from({ length: size }, () => ({
    hashedId: STREAM_IDS[Math.floor(Math.random() * STREAM_IDS.length)]!,
    payload: syntheticPayload(now - Math.floor(Math.random() * 3600)),
  }));
  return { reports, body: encodeBinaryUpload(reports) };
}

/** `clients` uploading batches of 25 until stopped; `acknowledged` grows with every 200. */
export function streamUploads(url: string, clients: number) {
  const acknowledged: SentReport[] = [];
  const reportsCounted = counted(() => acknowledged.length);
  let running = true;
  const done = Promise.all(
    Array.from({ length: clients }, async () => {
      while (running) {
        const { reports, body } = batch(25);
        let answer: unknown;
        try {
          const response = await fetch(`${url}/v1/reports`, {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            body,
          });
          if (response.status === 200) answer = await response.json();
          else await response.body?.cancel();
        } catch {
          return; // the server is gone: nothing more is acknowledged
        }
        // Only a server gone ends a client: a wrong answer fails the test.
        if (answer !== undefined) {
          expect(answer).toEqual({ accepted: 25, duplicates: 0 });
          acknowledged.push(...reports);
          reportsCounted.changed();
        }
      }
    }),
  );
  /**
   * Resolves once at least `count` reports are acknowledged (an event, however busy the machine);
   * fails if `exited` (the server's exit) comes first.
   */
  const acknowledgedAtLeast = (count: number, exited?: Promise<number | null>) =>
    Promise.race([
      reportsCounted.reach(count),
      ...(exited
        ? [
            exited.then((code) =>
              Promise.reject(new Error(`the server exited (${code}) before ${count} reports were acknowledged`)),
            ),
          ]
        : []),
    ]);
  return { acknowledged, acknowledgedAtLeast, stop: async () => ((running = false), await done) };
}
