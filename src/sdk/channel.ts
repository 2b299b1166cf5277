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
import type { Pairing } from './pairing.ts';

const DAY_MS = 86_400_000;

/** What the owner can ask a device to do. */
export const COMMANDS = ['locate', 'ring', 'message', 'photo', 'lost', 'found'] as const;
export type CommandType = (typeof COMMANDS)[number];

/** Every message carries its sender's sequence number (its clock, in ms) and an expiry. */
export interface ChannelBody {
  readonly type: string;
  /** Strictly increasing per sender: the receiver refuses one not above the last it accepted. */
  readonly seq: number;
  /** Unix seconds; the receiver refuses it after. */
  readonly expiresAt: number;
  readonly [field: string]: unknown;
}

export interface ChannelOptions extends HttpOptions {
  readonly server: string;
  /** Unix ms (tests move it). */
  readonly now?: number;
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
 * @example await sendToPeer(owner, { type: 'ring', seq: Date.now(), expiresAt }, { server })
 */
export async function sendToPeer(pairing: Pairing, body: ChannelBody, options: ChannelOptions): Promise<number> {
  const capability = mailboxOf(pairing, 'out', channelDay(options.now ?? Date.now()));
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
 * The owner's command to the phone: signed, sealed and posted to today's mailbox, numbered by
 * the clock; `lost` and `found` also set the lost state (setLostState). Resolves to the body
 * sent, whose `seq` the phone's answer names in `inReplyTo` (awaitAnswer).
 * @example const sent = await sendCommand(owner, 'ring', {}, { server }); await awaitAnswer(owner, sent.seq, 30_000, { server })
 */
export async function sendCommand(
  pairing: Pairing,
  type: CommandType,
  {
    message,
    callback,
    expiresInMs = DEFAULT_COMMAND_MS,
  }: { message?: string; callback?: string; expiresInMs?: number },
  options: ChannelOptions,
): Promise<ChannelBody> {
  // A message with nothing to say would put an empty lock screen on the phone.
  if (type === 'message' && !message?.trim())
    throw new FormatError('a message needs its text: the phone would show an empty lock screen');
  const now = options.now ?? Date.now();
  const body: ChannelBody = {
    type,
    seq: now,
    expiresAt: Math.floor((now + expiresInMs) / 1000),
    ...(message?.trim() ? { message: message.trim() } : {}),
    ...(callback?.trim() ? { callback: callback.trim() } : {}),
  };
  await sendToPeer(pairing, body, { ...options, now });
  if (type === 'lost' || type === 'found') await setLostState(pairing, body, { ...options, now });
  return body;
}

/**
 * The owner sets the device's lost state for today and the next 30 days: a reset device that
 * still has its pairing reads it on start (readLostState) and re-enters lost mode. Each day's
 * statement is kept until the day after, and no longer than MAX_STATE_DAYS from now.
 * @example await setLostState(owner, { type: 'lost', seq: Date.now(), expiresAt, message }, { server })
 */
export async function setLostState(pairing: Pairing, statement: ChannelBody, options: ChannelOptions): Promise<void> {
  const now = options.now ?? Date.now();
  const today = channelDay(now);
  const latest = Math.floor(now / 1000) + MAX_STATE_DAYS * 86_400 - 60;
  const states = [];
  for (let day = today; day < today + MAX_STATE_DAYS; day++) {
    const capability = mailboxCapability(pairing.secret, 'state', day);
    const expiresAt = Math.min((day + 2) * (DAY_MS / 1000), latest);
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

/**
 * The device asks whether it is lost: today's statement, opened and checked, or undefined.
 * @example const state = await readLostState(device, { server }); if (state?.type === 'lost') enterLostMode(state)
 */
export async function readLostState(pairing: Pairing, options: ChannelOptions): Promise<ChannelBody | undefined> {
  const capability = mailboxCapability(pairing.secret, 'state', channelDay(options.now ?? Date.now()));
  const answer = (await post(
    options.server,
    '/v1/mailboxes/states/read',
    JSON.stringify({ capability: bytesToBase64(capability) }),
    'application/json',
    options,
  )) as { statement: string | null };
  if (!answer.statement) return undefined;
  return (await openChannelMessage(
    base64ToBytes(answer.statement),
    mailboxIdOf(capability),
    pairing.keys,
    pairing.peer,
  )) as ChannelBody;
}

/**
 * Why a received command must not be obeyed, or undefined when it may: expired, or replayed
 * (its sequence number not above the last one obeyed).
 * @example const refusal = refusalOf(body, lastSeq, Date.now())
 */
export function refusalOf(body: ChannelBody, lastSeq: number, now: number): string | undefined {
  if (!Number.isInteger(body.seq) || !Number.isInteger(body.expiresAt))
    return 'malformed: no sequence number or expiry';
  if (body.expiresAt * 1000 <= now) return `expired at ${new Date(body.expiresAt * 1000).toISOString()}`;
  if (body.seq <= lastSeq) return `replayed: sequence ${body.seq} is not after ${lastSeq}`;
  return undefined;
}

/**
 * Waits up to `ms` for the other side's answer to the message numbered `seq` (its `inReplyTo`),
 * reading this side's mailbox with long-polls; undefined when none came in time.
 * @example const answer = await awaitAnswer(owner, command.seq, 30_000, { server })
 */
export async function awaitAnswer(
  pairing: Pairing,
  seq: number,
  ms: number,
  options: ChannelOptions,
): Promise<ChannelBody | undefined> {
  const deadline = Date.now() + ms;
  const after = new Map<number, number>();
  while (Date.now() < deadline) {
    const day = channelDay(Date.now());
    const wait = Math.max(0, Math.min(25, Math.ceil((deadline - Date.now()) / 1000)));
    for (const message of await readFromPeer(pairing, day, after.get(day) ?? 0, wait, options)) {
      after.set(day, message.seq);
      if ('body' in message && message.body.inReplyTo === seq) return message.body;
    }
  }
  return undefined;
}
