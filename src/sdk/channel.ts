/**
 * The owner↔device channel over a Crowdfind server (docs/protocol.md §17): each side posts to the
 * other's mailbox of the day and reads its own, and the owner keeps a device's lost state where a
 * reset device asks for it. Everything is sealed and signed here; the server relays.
 */
import {
  AuthenticationError,
  base64ToBytes,
  FormatError,
  bytesToBase64,
  channelDay,
  mailboxCapability,
  mailboxIdOf,
  openChannelMessage,
  sealChannelMessage,
  type MailboxKind,
} from '../../crypto/index.ts';
import { MAX_STATE_DAYS } from '../contract/limits.ts';
import { post, type HttpOptions } from './http.ts';
import { sequenceRefusal, type SequenceWindow } from './sequence-window.ts';
import type { Pairing } from './pairing.ts';

const DAY_MS = 86_400_000;

/** What the owner can ask a device to do. */
export const COMMANDS = ['locate', 'ring', 'message', 'photo', 'lost', 'found'] as const;
export type CommandType = (typeof COMMANDS)[number];

/** Every message carries its sender's sequence number (a counter) and an expiry. */
export interface ChannelBody {
  readonly type: string;
  /** 1, 2, 3… per sender, never a clock: the receiver takes each number once (sequence-window.ts). */
  readonly seq: number;
  /** Unix seconds; the receiver refuses it after. */
  readonly expiresAt: number;
  readonly [field: string]: unknown;
}

/**
 * What the owner's tools keep about a pairing: the number of the next command, and whether the
 * phone ended the pairing. Losing it is safe: the tools then start from the `next` the phone's
 * recent answers carry, and the phone's refusal of a stale number carries its `next` too.
 */
export interface OwnerMemory {
  nextSeq: number;
  /** When the phone said it ended the pairing (ISO time): nothing is sent to it after. */
  unpairedAt?: string;
}

/** Where an owner's tool keeps its {@link OwnerMemory} (a file beside the pairing, the page's storage). */
export interface OwnerRecord {
  load(): OwnerMemory | undefined;
  save(memory: OwnerMemory): void;
}

/** The phone ended the pairing; the owner's tools send it nothing more. */
export class UnpairedError extends Error {
  override name = 'UnpairedError';
}

export interface ChannelOptions extends HttpOptions {
  readonly server: string;
  /** Unix ms (tests move it). */
  readonly now?: number;
  /** The mailbox day to post to; default, the day of `now`. */
  readonly day?: number;
}

/** The mailbox this side posts to, and the one it reads. */
function direction(pairing: Pairing): { out: MailboxKind; in: MailboxKind } {
  return pairing.role === 'owner' ? { out: 'to-device', in: 'to-owner' } : { out: 'to-owner', in: 'to-device' };
}

/**
 * The capability of the mailbox this side posts to (`out`) or reads (`in`) on a day.
 * @example mailboxOf(device, 'out', channelDay(Date.now()))
 */
export function mailboxOf(pairing: Pairing, way: 'out' | 'in', day: number): Uint8Array {
  return mailboxCapability(pairing.secret, direction(pairing)[way], day);
}

/**
 * Seals `body` for the other side and posts it to today's mailbox; resolves to its number there.
 * @example await sendToPeer(owner, { type: 'ring', seq: 7, expiresAt }, { server })
 */
export async function sendToPeer(pairing: Pairing, body: ChannelBody, options: ChannelOptions): Promise<number> {
  const capability = mailboxOf(pairing, 'out', options.day ?? channelDay(options.now ?? Date.now()));
  const message = await sealChannelMessage(body, mailboxIdOf(capability), pairing.keys, pairing.peer);
  const answer = (await post(
    options.server,
    '/v1/mailboxes/messages',
    JSON.stringify({ capability: bytesToBase64(capability), message: bytesToBase64(message) }),
    'application/json',
    options,
  )) as { seq: number };
  return answer.seq;
}

/** A message read from this side's mailbox: opened, or refused with the reason. */
export type Received =
  | { readonly day: number; readonly seq: number; readonly body: ChannelBody }
  | { readonly day: number; readonly seq: number; readonly refused: string };

/**
 * Messages in this side's mailbox of `day` after `after`, each opened and checked, waiting up to
 * `waitSeconds` for one when there are none.
 * @example const received = await readFromPeer(device, channelDay(Date.now()), 0, 25, { server })
 */
export async function readFromPeer(
  pairing: Pairing,
  day: number,
  after: number,
  waitSeconds: number,
  options: ChannelOptions,
): Promise<Received[]> {
  const capability = mailboxOf(pairing, 'in', day);
  const mailbox = mailboxIdOf(capability);
  const answer = (await post(
    options.server,
    '/v1/mailboxes/messages/read',
    JSON.stringify({ capability: bytesToBase64(capability), after, waitSeconds }),
    'application/json',
    options,
  )) as { messages: Array<{ seq: number; message: string }> };
  const received: Received[] = [];
  for (const { seq, message } of answer.messages) {
    try {
      const body = (await openChannelMessage(
        base64ToBytes(message),
        mailbox,
        pairing.keys,
        pairing.peer,
      )) as ChannelBody;
      received.push({ day, seq, body });
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      received.push({ day, seq, refused: error.message });
    }
  }
  return received;
}

/** Commands that carry a lock-screen text and a number to call. */
export const TEXT_COMMANDS: readonly CommandType[] = ['message', 'lost'];

/** A command expires this long after it is sent unless the sender says otherwise. */
export const DEFAULT_COMMAND_MS = 10 * 60_000;

/**
 * Takes into the owner's record what a message from the phone says: the `next` number it takes
 * (forward only), and that it ended the pairing.
 */
export function noteFromPhone(body: ChannelBody, record: OwnerRecord): void {
  const memory = record.load() ?? { nextSeq: 1 };
  const next = Number.isSafeInteger(body.next) ? (body.next as number) : 0;
  if (body.type === 'unpaired' && memory.unpairedAt === undefined)
    record.save({ ...memory, unpairedAt: String(body.at ?? new Date(body.expiresAt * 1000).toISOString()) });
  else if (next > memory.nextSeq) record.save({ ...memory, nextSeq: next });
}

/** Reads the phone's messages of yesterday and today into the owner's record (noteFromPhone). */
async function catchUpWithPhone(pairing: Pairing, record: OwnerRecord, options: ChannelOptions): Promise<void> {
  const today = channelDay(options.now ?? Date.now());
  for (const day of [today - 1, today]) {
    // A read returns a page of messages; an unpairing may come after many answers.
    let page = await readFromPeer(pairing, day, 0, 0, options);
    while (page.length > 0) {
      for (const message of page) if ('body' in message) noteFromPhone(message.body, record);
      page = await readFromPeer(pairing, day, page.at(-1)!.seq, 0, options);
    }
  }
}

/**
 * The owner's command to the phone: signed, sealed and posted to today's mailbox, numbered from
 * the owner's record (or, without one, from what the phone's recent answers say comes next);
 * `lost` and `found` also set the lost state (setLostState). Refused with {@link UnpairedError}
 * once the phone has ended the pairing. Resolves to the body sent, whose `seq` the phone's
 * answer names in `inReplyTo` (awaitAnswer).
 * @example const sent = await sendCommand(owner, 'ring', {}, record, { server }); await awaitAnswer(owner, sent.seq, 30_000, { server })
 */
export async function sendCommand(
  pairing: Pairing,
  type: CommandType,
  {
    message,
    callback,
    expiresInMs = DEFAULT_COMMAND_MS,
  }: { message?: string; callback?: string; expiresInMs?: number },
  record: OwnerRecord,
  options: ChannelOptions,
): Promise<ChannelBody> {
  // A message with nothing to say would put an empty lock screen on the phone.
  if (type === 'message' && !message?.trim())
    throw new FormatError('a message needs its text: the phone would show an empty lock screen');
  const now = options.now ?? Date.now();
  await catchUpWithPhone(pairing, record, { ...options, now });
  const memory = record.load() ?? { nextSeq: 1 };
  if (memory.unpairedAt !== undefined)
    throw new UnpairedError(
      `${pairing.name} ended the pairing at ${memory.unpairedAt}; nothing more is sent to it (pair again with the phone in hand)`,
    );
  const seq = memory.nextSeq;
  // Saved before posting: a number once used is never used again, even if the post fails.
  record.save({ ...memory, nextSeq: seq + 1 });
  const body: ChannelBody = {
    type,
    seq,
    expiresAt: Math.floor((now + expiresInMs) / 1000),
    ...(message?.trim() ? { message: message.trim() } : {}),
    ...(callback?.trim() ? { callback: callback.trim() } : {}),
  };
  await sendToPeer(pairing, body, { ...options, now });
  if (type === 'lost' || type === 'found') await setLostState(pairing, body, { ...options, now });
  return body;
}

/**
 * Sends a command and waits up to `ms` for its answer. When the phone refused the command's
 * number (the owner's record was lost or is behind another of the owner's tools), it catches up
 * to the phone's `next` and sends once more. `onSent` hears of each command as it goes.
 * @example const { answer } = await commandPhone(owner, 'locate', {}, record, 30_000, { server })
 */
export async function commandPhone(
  pairing: Pairing,
  type: CommandType,
  fields: Parameters<typeof sendCommand>[2],
  record: OwnerRecord,
  ms: number,
  options: ChannelOptions,
  onSent: (sent: ChannelBody) => void = () => {},
): Promise<{ sent: ChannelBody; answer: ChannelBody | undefined }> {
  let sent = await sendCommand(pairing, type, fields, record, options);
  onSent(sent);
  let answer = await awaitAnswer(pairing, sent.seq, ms, options);
  // The phone refused the number itself: its `next` holds, even below the record (a corrupt one).
  if (answer?.renumber === true && Number.isSafeInteger(answer.next)) {
    record.save({ ...record.load(), nextSeq: answer.next as number });
    sent = await sendCommand(pairing, type, fields, record, options);
    onSent(sent);
    answer = await awaitAnswer(pairing, sent.seq, ms, options);
  }
  return { sent, answer };
}

/**
 * The owner sets the device's lost state for today and the next 30 days: a reset device that
 * still has its pairing reads it on start (readLostState) and re-enters lost mode. Each day's
 * statement is kept until the day after, and no longer than MAX_STATE_DAYS from now.
 * @example await setLostState(owner, { type: 'lost', seq: 8, expiresAt, message }, { server })
 */
export async function setLostState(pairing: Pairing, statement: ChannelBody, options: ChannelOptions): Promise<void> {
  const now = options.now ?? Date.now();
  const today = channelDay(now);
  const latestMs = now + MAX_STATE_DAYS * DAY_MS - 60_000;
  // The sealed body counts seconds (docs/protocol.md §17); the route's body, milliseconds.
  const latest = Math.floor(latestMs / 1000);
  const states = [];
  for (let day = today; day < today + MAX_STATE_DAYS; day++) {
    const capability = mailboxCapability(pairing.secret, 'state', day);
    const expiresAt = Math.min((day + 2) * DAY_MS, latestMs);
    // The statement says how long it holds, so a phone can tell a stale one from a current one.
    const sealed = await sealChannelMessage(
      { ...statement, expiresAt: latest },
      mailboxIdOf(capability),
      pairing.keys,
      pairing.peer,
    );
    states.push({ capability: bytesToBase64(capability), statement: bytesToBase64(sealed), expiresAt });
  }
  await post(options.server, '/v1/mailboxes/states', JSON.stringify({ states }), 'application/json', options);
}

/** The owner's lost-state statement as a phone judges it: to follow, or ignored and why. */
export type LostStatement = { readonly statement: ChannelBody } | { readonly ignored: string };

/**
 * The device asks whether it is lost: today's statement, opened and checked, or undefined when
 * there is none. Whoever holds the day's state capability can put back an older statement, so
 * one not newer than `recordSeq` (the number of the lost or found the phone last followed) is
 * ignored, as is an expired one.
 * @example const state = await readLostState(device, record.lostSeq, { server })
 */
export async function readLostState(
  pairing: Pairing,
  recordSeq: number,
  options: ChannelOptions,
): Promise<LostStatement | undefined> {
  const now = options.now ?? Date.now();
  const capability = mailboxCapability(pairing.secret, 'state', channelDay(now));
  const answer = (await post(
    options.server,
    '/v1/mailboxes/states/read',
    JSON.stringify({ capability: bytesToBase64(capability) }),
    'application/json',
    options,
  )) as { statement: string | null };
  if (!answer.statement) return undefined;
  const statement = (await openChannelMessage(
    base64ToBytes(answer.statement),
    mailboxIdOf(capability),
    pairing.keys,
    pairing.peer,
  )) as ChannelBody;
  if (statement.type !== 'lost' && statement.type !== 'found')
    return { ignored: `not a lost or found statement (${String(statement.type)})` };
  const refusal = expiryRefusal(statement, now);
  if (refusal) return { ignored: refusal };
  if (statement.seq <= recordSeq)
    return { ignored: `older than this phone's record (sequence ${statement.seq}, the record ${recordSeq})` };
  return { statement };
}

/** Why a body must not be followed for its fields alone: malformed or expired. */
function expiryRefusal(body: ChannelBody, now: number): string | undefined {
  if (!Number.isSafeInteger(body.seq) || !Number.isSafeInteger(body.expiresAt))
    return 'malformed: no sequence number or expiry';
  if (body.expiresAt * 1000 <= now) return `expired at ${new Date(body.expiresAt * 1000).toISOString()}`;
  return undefined;
}

/**
 * Why a received command must not be obeyed, or undefined when it may: malformed, expired, or
 * its number not one to take (replayed, below the window, too far ahead: sequence-window.ts).
 * @example const refusal = refusalOf(body, memory.window, Date.now())
 */
export function refusalOf(body: ChannelBody, window: SequenceWindow, now: number): string | undefined {
  return expiryRefusal(body, now) ?? sequenceRefusal(body.seq, window);
}

/**
 * Waits up to `ms` for the other side's answer to the message numbered `seq` (its `inReplyTo`),
 * reading this side's mailbox of the day the message was sent (`options.now`) with long-polls;
 * undefined when none came in time.
 * @example const answer = await awaitAnswer(owner, command.seq, 30_000, { server })
 */
export async function awaitAnswer(
  pairing: Pairing,
  seq: number,
  ms: number,
  options: ChannelOptions,
): Promise<ChannelBody | undefined> {
  const deadline = Date.now() + ms;
  // The phone answers into the mailbox of the day it read the command from.
  const day = channelDay(options.now ?? Date.now());
  let after = 0;
  while (Date.now() < deadline) {
    const wait = Math.max(0, Math.min(25, Math.ceil((deadline - Date.now()) / 1000)));
    for (const message of await readFromPeer(pairing, day, after, wait, options)) {
      after = message.seq;
      if ('body' in message && message.body.inReplyTo === seq) return message.body;
    }
  }
  return undefined;
}
