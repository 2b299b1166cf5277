/**
 * Finders uploading to a real server until told to stop, keeping every report the server
 * acknowledged: what the crash and backup tests check survives.
 */
import { expect } from 'vitest';
import { hashedIdPopulation, syntheticPayload } from '../../bench/synthetic-reports.ts';
import { encodeBinaryUpload } from '../../src/contract/binary-upload.ts';

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
  let running = true;
  const done = Promise.all(
    Array.from({ length: clients }, async () => {
      while (running) {
        const { reports, body } = batch(25);
        try {
          const response = await fetch(`${url}/v1/reports`, {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            body,
          });
          if (response.status === 200) {
            expect(await response.json()).toEqual({ accepted: 25, duplicates: 0 });
            acknowledged.push(...reports);
          }
        } catch {
          return; // the server is gone: nothing more is acknowledged
        }
      }
    }),
  );
  /** Resolves once at least `count` reports are acknowledged (an event, however busy the machine); fails after `ms`. */
  const acknowledgedAtLeast = async (count: number, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (acknowledged.length < count) {
      if (Date.now() > deadline) throw new Error(`${acknowledged.length} of ${count} reports acknowledged in ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { acknowledged, acknowledgedAtLeast, stop: async () => ((running = false), await done) };
}
