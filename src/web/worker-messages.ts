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

/** Lost mode for one device of the key files: on with a notice, or off. */
export interface LostModeRequest {
  readonly device: string;
  readonly server: string;
  readonly notice?: {
    readonly message: string;
    readonly contact: string;
    /** Show finders the whole contact instead of its partly hidden form. */
    readonly fullContact: boolean;
    readonly days: number;
  };
}

export type WorkerRequest =
  | { type: 'derive'; id: number; files: KeyFileInput[]; since: Date; until: Date }
  | { type: 'open'; id: number; groups: OpenGroup[] }
  | { type: 'lost'; id: number; files: KeyFileInput[]; request: LostModeRequest };

export type WorkerReply =
  | { type: 'derived'; id: number; devices: string[]; keys: OwnedKey[] }
  | { type: 'opened'; id: number; located: LocatedReport[]; milliseconds: number }
  /** `notTaken`: the SDK's sentence for notices that did not take, '' when all did. */
  | { type: 'lost'; id: number; keys: number; changed: number; notTaken: string }
  | { type: 'failed'; id: number; message: string };
