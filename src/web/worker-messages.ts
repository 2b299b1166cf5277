/** What the page and its workers say to each other. */
import type { LocatedReport, OwnedKey } from '../sdk/owner.ts';

/** A key file as the owner opened or pasted it. */
export interface KeyFileInput {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The reports of one key, to open. */
export interface OpenGroup extends OwnedKey {
  readonly payloads: Uint8Array[];
}

export type WorkerRequest =
  | { type: 'derive'; id: number; files: KeyFileInput[]; since: Date; until: Date }
  | { type: 'open'; id: number; groups: OpenGroup[] };

export type WorkerReply =
  | { type: 'derived'; id: number; devices: string[]; keys: OwnedKey[] }
  | { type: 'opened'; id: number; located: LocatedReport[]; milliseconds: number }
  | { type: 'failed'; id: number; message: string };
