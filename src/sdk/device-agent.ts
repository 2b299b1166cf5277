/**
 * A reference device agent: what a phone's lost-mode service does, for tests and demos. It asks
 * on start whether it is lost (so a reset phone that kept its pairing re-enters lost mode), then
 * waits for the owner's commands with long-polls, obeys each one that is signed by its owner, new
 * and unexpired, and answers sealed to the owner. Against covert use: it shows that it is paired,
 * shows every location and photo it sends, answers locate outside lost mode at most once per
 * LOCATE_INTERVAL_MS, takes a photo only once lost mode has been on the lock screen for
 * PHOTO_AFTER_LOST_MS, and appends every command it obeys to `obeyed`, a log the owner's commands
 * cannot erase; its user can end the pairing alone (unpair).
 */
import { bytesToHex, channelDay } from '../../crypto/index.ts';
import {
  readFromPeer,
  readLostState,
  refusalOf,
  sendToPeer,
  type ChannelBody,
  type ChannelOptions,
} from './channel.ts';
import { EMPTY_WINDOW, nextOf, sequenceRefusal, take, type SequenceWindow } from './sequence-window.ts';
import type { Pairing } from './pairing.ts';
import { uploadAttachment } from './attachments.ts';
import type { PositionFix } from './beacon.ts';

/** A long-poll waits this long for a command. */
const WAIT_SECONDS = 25;
/** Answers expire after this long unread. */
const ANSWER_SECONDS = 3 * 86_400;
/** Outside lost mode, the phone answers locate at most once this often: no covert trail of fixes. */
export const LOCATE_INTERVAL_MS = 15 * 60_000;
/** A photo only once lost mode has been on the lock screen this long, for its holder to see. */
export const PHOTO_AFTER_LOST_MS = 5 * 60_000;

export interface DeviceAgentOptions extends ChannelOptions {
  readonly pairing: Pairing;
  /** Where the phone is (its GPS). */
  readonly position: (time: Date) => PositionFix;
  /** What the phone does, in words (ringing, the lock-screen message…). */
  readonly say: (line: string) => void;
  /**
   * What the phone must show its user and keep showing (a notification): that it is paired, and
   * each location and photo it sends its owner and each it refuses.
   */
  readonly show: (line: string) => void;
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
  readonly memory?: { load(): Partial<AgentMemory> | undefined; save(memory: AgentMemory): void };
  /** The phone's clock, Unix ms; default Date.now (tests move it). */
  readonly clock?: () => number;
  readonly signal?: AbortSignal;
}

/** The agent's lost mode, as it stands. */
export interface AgentState {
  lost: boolean;
  /** The number of the lost or found (command or statement) that set it; 0 before any. */
  seq: number;
  message?: string;
  callback?: string;
  /** Since when lost mode has been on the lock screen (Unix ms). */
  since?: number;
}

/** What the agent remembers across restarts. */
export interface AgentMemory {
  /** The owner's command numbers taken. */
  window: SequenceWindow;
  /** How far it read each day's mailbox. */
  after: Record<string, number>;
  /** The number of the next message it sends. */
  nextSeq: number;
  lostMode: AgentState;
  /** When it last sent its location (Unix ms). */
  locatedAt?: number;
}

/** A new phone's record: nothing taken, nothing sent, not lost. */
export function freshMemory(): AgentMemory {
  return { window: EMPTY_WINDOW, after: {}, nextSeq: 1, lostMode: { lost: false, seq: 0 } };
}

/** What the agent's steps share. */
interface Agent {
  readonly options: DeviceAgentOptions;
  readonly memory: AgentMemory;
  readonly clock: () => number;
  readonly save: () => void;
  /** Signs, seals and posts a message to the owner's mailbox of `day`. */
  readonly send: (body: Record<string, unknown>, day: number) => Promise<number>;
}

/** The lasting indicator: who can reach this phone, and how to end it. */
export function pairedLine(pairing: Pairing): string {
  const owner = bytesToHex(pairing.peer.signingPublicKey.subarray(0, 8));
  return `PAIRED as "${pairing.name}" with the owner of key ${owner}: they can locate this phone (each time shown here), ring it, show a message and, in lost mode, take a photo; end it with crowdfind device unpair`;
}

/**
 * Runs the agent; resolves with its lost state when it stops.
 * @example await runDeviceAgent({ server, pairing, position: () => gps(), say: console.log, show: console.error, obeyed: appendToLog })
 */
export async function runDeviceAgent(options: DeviceAgentOptions): Promise<AgentState> {
  const clock = options.clock ?? Date.now;
  const remembered = options.memory?.load();
  const memory: AgentMemory = { ...freshMemory(), ...remembered };
  const save = () => {
    memory.after = Object.fromEntries(
      Object.entries(memory.after).filter(([day]) => Number(day) >= channelDay(clock()) - 1),
    );
    options.memory?.save(memory);
  };
  const send = async (body: Record<string, unknown>, day: number) => {
    const seq = memory.nextSeq++;
    save();
    const expiresAt = Math.floor(clock() / 1000) + ANSWER_SECONDS;
    // Every answer says which number the phone takes next: how the owner's tools recover.
    const message = { ...body, type: String(body.type), seq, expiresAt, next: nextOf(memory.window) };
    return sendToPeer(options.pairing, message, { ...options, now: clock(), day });
  };
  const agent: Agent = { options, memory, clock, save, send };

  options.show(pairedLine(options.pairing));
  if (memory.lostMode.lost) sayLostMode(agent, 'this phone’s record');
  await followStatement(agent);
  if (options.simChanged)
    await send({ type: 'event', event: 'sim-changed', at: new Date(clock()).toISOString() }, channelDay(clock()));
  if (!remembered) await skipWaiting(agent);
  save();
  await serve(agent);
  return memory.lostMode;
}

/** Follows the owner's lost-state statement, unless it is stale (readLostState). */
async function followStatement(agent: Agent): Promise<void> {
  const { options, memory, clock } = agent;
  const read = await readLostState(options.pairing, memory.lostMode.seq, { ...options, now: clock() }).catch(
    (error: Error) => {
      warn(options, `could not ask whether this phone is lost: ${error.message}`);
      return undefined;
    },
  );
  if (read && 'ignored' in read) options.say(`ignored the owner’s lost-state statement: ${read.ignored}`);
  if (read && 'statement' in read) setLostMode(agent, read.statement, 'the owner’s lost-state statement');
}

/** What went wrong on the phone's side, said where the agent's warnings go. */
function warn(options: DeviceAgentOptions, line: string): void {
  (options.warn ?? options.say)(line);
}

/** Without a record, the messages already waiting are skipped, never obeyed twice. */
async function skipWaiting(agent: Agent): Promise<void> {
  const { options, memory, clock } = agent;
  let skipped = 0;
  for (const day of [channelDay(clock()) - 1, channelDay(clock())])
    // Page after page: a mailbox holds more than one read answers.
    for (let page = await readFromPeer(options.pairing, day, 0, 0, options); page.length > 0;) {
      for (const message of page) {
        memory.after[day] = message.seq;
        if ('body' in message && !sequenceRefusal(message.body.seq, memory.window))
          memory.window = take(message.body.seq, memory.window);
        skipped++;
      }
      page = await readFromPeer(options.pairing, day, memory.after[day]!, 0, options);
    }
  if (skipped > 0) warn(options, `no record of what was obeyed here: ${skipped} waiting message(s) skipped`);
}

/** Waits for the owner's messages and handles each, until `count` or the signal. */
async function serve(agent: Agent): Promise<void> {
  const { options, memory, clock, save } = agent;
  // At start, yesterday's mailbox too: a command may have been posted just before midnight.
  let days = [channelDay(clock()) - 1, channelDay(clock())];
  let handled = 0;
  while (!options.signal?.aborted && (options.count === undefined || handled < options.count)) {
    const today = channelDay(clock());
    if (!days.includes(today)) days = [today];
    for (const day of days) {
      const wait = day === today && days.length === 1 ? WAIT_SECONDS : 0;
      const received = await readFromPeer(options.pairing, day, memory.after[day] ?? 0, wait, {
        ...options,
        ...(options.signal ? { fetch: (url, init) => fetch(url, { ...init, signal: options.signal }) } : {}),
      }).catch((error: Error) => {
        if (!options.signal?.aborted) warn(options, `reading commands failed: ${error.message}`);
        return [];
      });
      for (const message of received) {
        memory.after[day] = message.seq;
        save();
        handled++;
        if ('refused' in message) options.say(`refused a message: ${message.refused}`);
        else await handle(agent, message.body, day);
      }
    }
    days = [today];
  }
}

/** One command signed by the owner: refused with an answer that says why, or obeyed. */
async function handle(agent: Agent, body: ChannelBody, day: number): Promise<void> {
  const { options, memory, clock, save } = agent;
  const reply = (fields: Record<string, unknown>) => agent.send({ ...fields, inReplyTo: body.seq }, day);
  const refusal = refusalOf(body, memory.window, clock());
  if (refusal) {
    options.say(`refused ${body.type}: ${refusal}`);
    // A number refused as such: the owner's tool sends again with `next` (commandPhone).
    const renumber = sequenceRefusal(body.seq, memory.window) !== undefined;
    await reply({ type: 'failed', command: body.type, reason: refusal, ...(renumber ? { renumber } : {}) });
    return;
  }
  memory.window = take(body.seq, memory.window);
  save();
  options.obeyed(`${new Date(clock()).toISOString()} obeyed ${body.type} seq=${body.seq}`);
  await obey(agent, body, reply);
}

function sayLostMode(agent: Agent, from: string): void {
  const { message, callback } = agent.memory.lostMode;
  agent.options.say(
    `LOST MODE (from ${from}): the lock screen shows "${message ?? 'This phone is lost'}"${callback ? `, call ${callback}` : ''}`,
  );
}

/** Sets lost mode from a lost or found the caller checked is not older than the one in force. */
function setLostMode(agent: Agent, body: ChannelBody, from: string): void {
  const { memory, clock } = agent;
  const was = memory.lostMode;
  if (body.type === 'lost') {
    memory.lostMode = {
      lost: true,
      seq: body.seq,
      ...(typeof body.message === 'string' ? { message: body.message } : {}),
      ...(typeof body.callback === 'string' ? { callback: body.callback } : {}),
      // Already on the lock screen since then, whatever the new message says.
      since: was.lost ? (was.since ?? clock()) : clock(),
    };
    sayLostMode(agent, from);
  } else {
    memory.lostMode = { lost: false, seq: body.seq };
    if (was.lost) agent.options.say(`lost mode ended (from ${from})`);
  }
  agent.save();
}
type Reply = (fields: Record<string, unknown>) => Promise<number>;

async function obey(agent: Agent, body: ChannelBody, reply: Reply): Promise<void> {
  const { options, memory } = agent;
  switch (body.type) {
    case 'locate':
      return locate(agent, reply);
    case 'photo':
      return photo(agent, reply);
    case 'ring':
      options.say('RINGING at full volume');
      await reply({ type: 'done', command: 'ring' });
      return;
    case 'message':
      options.say(
        `lock screen: "${String(body.message ?? '')}"${body.callback ? `, call ${String(body.callback)}` : ''}`,
      );
      await reply({ type: 'done', command: 'message' });
      return;
    case 'lost':
    case 'found':
      // One older than the lost or found in force (it arrived late) must not undo it.
      if (body.seq < memory.lostMode.seq) {
        options.say(`did not follow ${body.type}: a later lost or found is in force`);
        await reply({ type: 'failed', command: body.type, reason: 'a later lost or found is in force' });
        return;
      }
      setLostMode(agent, body, 'a command');
      await reply({ type: 'done', command: body.type });
      return;
    default:
      options.say(`cannot do ${body.type}`);
      await reply({ type: 'failed', command: body.type, reason: 'this agent cannot do that' });
  }
}

/** Sends the phone's position, shown to its user; outside lost mode at most once per interval. */
async function locate(agent: Agent, reply: Reply): Promise<void> {
  const { options, memory, clock, save } = agent;
  const now = clock();
  const owner = `the owner of the pairing "${options.pairing.name}"`;
  if (!memory.lostMode.lost && memory.locatedAt !== undefined && now - memory.locatedAt < LOCATE_INTERVAL_MS) {
    const reason = `outside lost mode this phone sends its location once every ${LOCATE_INTERVAL_MS / 60_000} minutes; next after ${new Date(memory.locatedAt + LOCATE_INTERVAL_MS).toISOString()}`;
    options.show(`refused to send this phone's location to ${owner}: ${reason}`);
    await reply({ type: 'failed', command: 'locate', reason });
    return;
  }
  const at = new Date(now);
  const fix = options.position(at);
  memory.locatedAt = now;
  save();
  options.show(`this phone's location (${fix.latitude}, ${fix.longitude}) was sent to ${owner} at ${at.toISOString()}`);
  await reply({ type: 'location', at: at.toISOString(), ...fix });
}

/** A photo of the phone's holder: only once lost mode has been on the lock screen long enough. */
async function photo(agent: Agent, reply: Reply): Promise<void> {
  const { options, memory, clock } = agent;
  const refuse = async (reason: string) => {
    options.say(`refused to take a photo: ${reason}`);
    await reply({ type: 'failed', command: 'photo', reason });
  };
  if (!memory.lostMode.lost) return refuse('photos are taken only in lost mode');
  const shownFor = clock() - (memory.lostMode.since ?? clock());
  if (shownFor < PHOTO_AFTER_LOST_MS)
    return refuse(
      `lost mode has been on the lock screen for ${Math.floor(shownFor / 1000)} s; photos only after ${PHOTO_AFTER_LOST_MS / 60_000} minutes of it`,
    );
  const taken = options.camera?.();
  if (!taken) return refuse('this phone has no camera');
  const ref = await uploadAttachment(options.pairing, taken.bytes, { ...options, now: clock() });
  options.show(`a photo (${taken.bytes.length} bytes) was taken and sent to the owner of "${options.pairing.name}"`);
  options.say(`took a photo (${taken.bytes.length} bytes) and sent it encrypted`);
  await reply({ type: 'photo', name: taken.name, ...ref });
}

/**
 * Ends the pairing from the phone, which its user may do alone: tells the owner with a signed
 * `unpaired` message in the owner's mailbox of today (the owner's tools then send nothing more).
 * The caller then deletes the pairing, so the phone can be reached no more.
 * @example await unpair(device, memory, { server })
 */
export async function unpair(
  pairing: Pairing,
  memory: Partial<AgentMemory> | undefined,
  options: ChannelOptions,
): Promise<void> {
  const now = options.now ?? Date.now();
  await sendToPeer(
    pairing,
    {
      type: 'unpaired',
      seq: memory?.nextSeq ?? 1,
      expiresAt: Math.floor(now / 1000) + ANSWER_SECONDS,
      at: new Date(now).toISOString(),
    },
    { ...options, now },
  );
}
