/**
 * A reference device agent: what a phone's lost-mode service does, for tests and demos. It asks
 * on start whether it is lost (so a reset phone that kept its pairing re-enters lost mode), then
 * waits for the owner's commands with long-polls, obeys each one that is signed by its owner, new
 * and unexpired, and answers sealed to the owner. Every command it obeys goes to `obeyed`, an
 * append-only log the owner's commands cannot erase: the record that makes covert use visible
 * on the device.
 */
import { channelDay } from '../../crypto/index.ts';
import {
  readFromPeer,
  readLostState,
  refusalOf,
  sendToPeer,
  type ChannelBody,
  type ChannelOptions,
} from './channel.ts';
import type { Pairing } from './pairing.ts';
import { uploadAttachment } from './attachments.ts';
import type { PositionFix } from './beacon.ts';

/** A long-poll waits this long for a command. */
const WAIT_SECONDS = 25;
/** Answers expire after this long unread. */
const ANSWER_SECONDS = 3 * 86_400;

export interface DeviceAgentOptions extends ChannelOptions {
  readonly pairing: Pairing;
  /** Where the phone is (its GPS). */
  readonly position: (time: Date) => PositionFix;
  /** What the phone shows or does, in words (ringing, the lock-screen message…). */
  readonly say: (line: string) => void;
  /** What went wrong on the phone's side (the server out of reach…); default: `say`. */
  readonly warn?: (line: string) => void;
  /** Appends one line to the log of obeyed commands. */
  readonly obeyed: (line: string) => void;
  /** The camera: the next photo it takes, or undefined when it has none. */
  readonly camera?: () => { name: string; bytes: Uint8Array } | undefined;
  /** Report a SIM change once, at start. */
  readonly simChanged?: boolean;
  /** Stop after handling this many messages (0: right after start-up); default: until `signal` aborts. */
  readonly count?: number;
  /**
   * Where the agent keeps what it has obeyed, across restarts (a phone keeps it with its keys).
   * Without a record, it cannot tell a command it obeyed from one it did not, so it skips those
   * already waiting and takes only new ones; its lost state it reads from the owner's statement.
   */
  readonly memory?: { load(): AgentMemory | undefined; save(memory: AgentMemory): void };
  readonly signal?: AbortSignal;
}

/** What the agent remembers: the last sequence number it obeyed, and how far it read each day's mailbox. */
export interface AgentMemory {
  lastSeq: number;
  after: Record<string, number>;
}

/** The agent's lost mode, as it stands. */
export interface AgentState {
  lost: boolean;
  message?: string;
  callback?: string;
}

/**
 * Runs the agent; resolves with its lost state when it stops.
 * @example await runDeviceAgent({ server, pairing, position: () => gps(), say: console.log, obeyed: appendToLog })
 */
export async function runDeviceAgent(options: DeviceAgentOptions): Promise<AgentState> {
  const clock = () => options.now ?? Date.now();
  const warn = options.warn ?? options.say;
  const state: AgentState = { lost: false };
  const answer = (body: Record<string, unknown>) =>
    sendToPeer(
      options.pairing,
      { ...body, type: String(body.type), seq: Date.now(), expiresAt: Math.floor(clock() / 1000) + ANSWER_SECONDS },
      options,
    );

  const statement = await readLostState(options.pairing, options).catch((error: Error) => {
    warn(`could not ask whether this phone is lost: ${error.message}`);
    return undefined;
  });
  if (statement?.type === 'lost') enterLostMode(state, statement, options, 'the owner’s lost-state statement');
  if (options.simChanged) await answer({ type: 'event', event: 'sim-changed', at: new Date(clock()).toISOString() });

  // At start, yesterday's mailbox too: a command may have been posted just before midnight.
  let days = [channelDay(clock()) - 1, channelDay(clock())];
  const remembered = options.memory?.load();
  let lastSeq = remembered?.lastSeq ?? 0;
  const after = new Map<number, number>(
    Object.entries(remembered?.after ?? {}).map(([day, seq]) => [Number(day), seq]),
  );
  if (!remembered) {
    let skipped = 0;
    for (const day of days)
      for (const message of await readFromPeer(options.pairing, day, 0, 0, options)) {
        after.set(day, message.seq);
        if ('body' in message) lastSeq = Math.max(lastSeq, message.body.seq);
        skipped++;
      }
    if (skipped > 0) warn(`no record of what was obeyed here: ${skipped} waiting message(s) skipped`);
  }
  const remember = () =>
    options.memory?.save({
      lastSeq,
      after: Object.fromEntries([...after].filter(([day]) => day >= channelDay(clock()) - 1)),
    });
  remember();
  let handled = 0;
  while (!options.signal?.aborted && (options.count === undefined || handled < options.count)) {
    const today = channelDay(clock());
    if (!days.includes(today)) days = [today];
    for (const day of days) {
      const wait = day === today && days.length === 1 ? WAIT_SECONDS : 0;
      const received = await readFromPeer(options.pairing, day, after.get(day) ?? 0, wait, {
        ...options,
        ...(options.signal ? { fetch: (url, init) => fetch(url, { ...init, signal: options.signal }) } : {}),
      }).catch((error: Error) => {
        if (!options.signal?.aborted) warn(`reading commands failed: ${error.message}`);
        return [];
      });
      for (const message of received) {
        after.set(day, message.seq);
        remember();
        handled++;
        if ('refused' in message) {
          options.say(`refused a message: ${message.refused}`);
          continue;
        }
        const refusal = refusalOf(message.body, lastSeq, clock());
        if (refusal) {
          options.say(`refused ${message.body.type}: ${refusal}`);
          continue;
        }
        lastSeq = message.body.seq;
        remember();
        options.obeyed(`${new Date(clock()).toISOString()} obeyed ${message.body.type} seq=${message.body.seq}`);
        await obey(message.body, state, options, answer);
      }
    }
    days = [today];
  }
  return state;
}

function enterLostMode(state: AgentState, body: ChannelBody, options: DeviceAgentOptions, from: string): void {
  state.lost = true;
  state.message = typeof body.message === 'string' ? body.message : undefined;
  state.callback = typeof body.callback === 'string' ? body.callback : undefined;
  options.say(
    `LOST MODE (from ${from}): the lock screen shows "${state.message ?? 'This phone is lost'}"${state.callback ? `, call ${state.callback}` : ''}`,
  );
}

async function obey(
  body: ChannelBody,
  state: AgentState,
  options: DeviceAgentOptions,
  answer: (body: Record<string, unknown>) => Promise<number>,
): Promise<void> {
  const inReplyTo = body.seq;
  switch (body.type) {
    case 'locate': {
      const at = new Date(options.now ?? Date.now());
      const fix = options.position(at);
      options.say(`located: ${fix.latitude}, ${fix.longitude}`);
      await answer({ type: 'location', inReplyTo, at: at.toISOString(), ...fix });
      return;
    }
    case 'ring':
      options.say('RINGING at full volume');
      await answer({ type: 'done', inReplyTo, command: 'ring' });
      return;
    case 'message':
      options.say(
        `lock screen: "${String(body.message ?? '')}"${body.callback ? `, call ${String(body.callback)}` : ''}`,
      );
      await answer({ type: 'done', inReplyTo, command: 'message' });
      return;
    case 'photo': {
      // A phone takes photos for its owner only while it is lost: never as a quiet everyday feature.
      if (!state.lost) {
        options.say('refused to take a photo: not in lost mode');
        await answer({ type: 'failed', inReplyTo, command: 'photo', reason: 'photos are taken only in lost mode' });
        return;
      }
      const photo = options.camera?.();
      if (!photo) {
        options.say('no camera');
        await answer({ type: 'failed', inReplyTo, command: 'photo', reason: 'this phone has no camera' });
        return;
      }
      const ref = await uploadAttachment(options.pairing, photo.bytes, options);
      options.say(`took a photo (${photo.bytes.length} bytes) and sent it encrypted`);
      await answer({ type: 'photo', inReplyTo, name: photo.name, ...ref });
      return;
    }
    case 'lost':
      enterLostMode(state, body, options, 'a command');
      await answer({ type: 'done', inReplyTo, command: 'lost' });
      return;
    case 'found':
      state.lost = false;
      options.say('lost mode ended');
      await answer({ type: 'done', inReplyTo, command: 'found' });
      return;
    default:
      options.say(`cannot do ${body.type}`);
      await answer({ type: 'failed', inReplyTo, command: body.type, reason: 'this agent cannot do that' });
  }
}
