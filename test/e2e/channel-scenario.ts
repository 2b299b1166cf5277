/**
 * The owner↔device channel end to end against a running server, the same for every runtime:
 * pair; a stand-in phone answers every command, a photo arriving byte for byte, and shows what a
 * phone must (its pairing, each location sent); forged, replayed and expired commands and posts
 * without the pairing are refused, while commands out of order are taken once each and neither a
 * clock far ahead nor a lost owner's record blocks later ones; a reset phone finds itself lost and
 * a stale lost statement put back does not make it lost; the phone's user unpairs alone.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  channelDay,
  mailboxCapability,
  mailboxIdOf,
  newChannelKeys,
  sealChannelMessage,
} from '../../crypto/index.ts';
import { runCli } from '../../src/cli/main.ts';
import type { OwnerMemory } from '../../src/sdk/channel.ts';
import { PHOTO_AFTER_LOST_MS } from '../../src/sdk/device-agent.ts';
import { readPairing, type Pairing } from '../../src/sdk/pairing.ts';
import { cli } from './lost-mode-scenario.ts';

export const LOCK_SCREEN = 'This phone is lost, please call';
export const CALLBACK = '+15550123';
export const PHONE_LATITUDE = 48.8583701;
/** The photo the stand-in phone's camera takes: 200 kB of random bytes, so four chunks. */
export const PHOTO = new Uint8Array(randomBytes(200_000));

/**
 * The stand-in phone's clock: it starts so that moving it on by more than PHOTO_AFTER_LOST_MS
 * stays within the real day (the owner's tools use the real clock, and mailboxes are per day).
 */
export function phoneClock() {
  const step = PHOTO_AFTER_LOST_MS + 60_000;
  let offset = Date.now() % 86_400_000 >= 43_200_000 ? -step : 0;
  return { now: () => new Date(Date.now() + offset), moveOn: () => (offset += step) };
}

/** The CLI with its clock at `now`. */
export async function cliAt(now: () => Date, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now });
  return { code, stdout, stderr };
}

/** Runs the stand-in phone until it has handled `count` messages; resolves to what it printed. */
function phone(server: string, folder: string, count: number, extra: string[] = [], now = () => new Date()) {
  mkdirSync(join(folder, 'camera'), { recursive: true });
  writeFileSync(join(folder, 'camera', 'front.jpg'), PHOTO);
  return cliAt(
    now,
    'device',
    'run',
    '--pairing',
    join(folder, 'phone.device.json'),
    '--server',
    server,
    '--lat',
    String(PHONE_LATITUDE),
    '--lon',
    '2.2944813',
    '--log',
    join(folder, 'phone.log'),
    '--count',
    String(count),
    '--camera',
    join(folder, 'camera'),
    ...extra,
  );
}

export async function channelScenario(server: string, folder: string) {
  const ownerFile = join(folder, 'phone.owner.json');
  const paired = await cli(
    'pair',
    '--name',
    'Phone',
    '--owner',
    ownerFile,
    '--device',
    join(folder, 'phone.device.json'),
  );
  expect(paired.code, paired.stderr).toBe(0);
  const owner = readPairing(readFileSync(ownerFile, 'utf8'));
  await everyCommand(server, folder, ownerFile);
  await refusals(server, folder, owner);
  await recoveries(server, folder, ownerFile);
  await lostState(server, folder, owner);
  await unpairing(server, folder, ownerFile);
}

/** The owner's command, waiting for the answer; resolves to the answer. */
async function answerTo(server: string, ownerFile: string, ...args: string[]) {
  const sent = await cli('command', ...args, '--pairing', ownerFile, '--server', server, '--wait', '20s');
  const answer = JSON.parse(sent.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  // A refusal is printed, said in one line, and exits 1.
  if (answer.type === 'failed') {
    expect(sent.code, sent.stderr).toBe(1);
    expect(sent.stderr).toBe(`crowdfind command: Phone refused ${args[0]}: ${String(answer.reason)}\n`);
  } else expect(sent.code, sent.stderr).toBe(0);
  expect(answer, 'command --wait prints no photo key').not.toHaveProperty('key');
  return answer;
}

/** Every command, each answered, with what the phone shows; a photo only after lost mode has been shown a while. */
async function everyCommand(server: string, folder: string, ownerFile: string) {
  const clock = phoneClock();
  const running = phone(server, folder, 10, ['--sim-changed'], clock.now);
  const answer = (...args: string[]) => answerTo(server, ownerFile, ...args);
  expect(await answer('locate')).toMatchObject({ type: 'location', latitude: PHONE_LATITUDE });
  // Outside lost mode, no trail of fixes: one locate per interval.
  expect(await answer('locate')).toMatchObject({ type: 'failed', reason: /once every 15 minutes/ });
  expect(await answer('photo')).toMatchObject({ type: 'failed', reason: 'photos are taken only in lost mode' });
  expect(await answer('lost', '--text', LOCK_SCREEN, '--callback', CALLBACK)).toMatchObject({
    type: 'done',
    command: 'lost',
  });
  // Lost, then a photo at once: refused until the lock screen has shown lost mode long enough.
  expect(await answer('photo')).toMatchObject({ type: 'failed', reason: /on the lock screen for \d+ s/ });
  clock.moveOn();
  expect(await answer('photo')).toMatchObject({ type: 'photo', name: 'front.jpg', count: 4 });
  expect(await answer('locate')).toMatchObject({ type: 'location' });
  expect(await answer('ring')).toMatchObject({ type: 'done', command: 'ring' });
  expect(await answer('message', '--text', 'Call me', '--callback', CALLBACK)).toMatchObject({
    type: 'done',
    command: 'message',
  });
  expect(await answer('found')).toMatchObject({ type: 'done', command: 'found' });
  const phoneSaid = await running;
  expect(phoneSaid.code, phoneSaid.stderr).toBe(0);
  expect(phoneSaid.stdout).toContain('RINGING');
  expect(phoneSaid.stdout).toContain(`lock screen: "Call me", call ${CALLBACK}`);
  expect(phoneSaid.stdout).toContain(
    `LOST MODE (from a command): the lock screen shows "${LOCK_SCREEN}", call ${CALLBACK}`,
  );
  // What a phone must show its user: its pairing, lasting, and each location and photo it sent.
  expect(phoneSaid.stderr).toMatch(/^PAIRED as "Phone" with the owner of key [0-9a-f]{16}/m);
  expect(phoneSaid.stdout).toMatch(/stopped; lost mode off; PAIRED as "Phone"/);
  expect(
    phoneSaid.stderr.match(/this phone's location \(48\.8583701, 2\.2944813\) was sent to the owner/g),
  ).toHaveLength(2);
  expect(phoneSaid.stderr).toMatch(/refused to send this phone's location/);
  expect(phoneSaid.stderr).toMatch(/a photo \(200000 bytes\) was taken and sent/);
  expect(readFileSync(join(folder, 'phone.log'), 'utf8')).toMatch(/shown: this phone's location/);
  const inboxRun = await cli('inbox', '--pairing', ownerFile, '--server', server, '--out', join(folder, 'inbox'));
  expect(inboxRun.code, inboxRun.stderr).toBe(0);
  const inbox = inboxRun.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(inbox.map((m) => m.type)).toEqual([
    'event',
    'location',
    'failed',
    'failed',
    'done',
    'failed',
    'photo',
    'location',
    'done',
    'done',
    'done',
  ]);
  // The photo arrives byte for byte; its key is never printed.
  expect(inbox[6].key).toBeUndefined();
  expect(readFileSync(inbox[6].savedTo).equals(Buffer.from(PHOTO))).toBe(true);
  expect(inbox[0]).toMatchObject({ event: 'sim-changed' });
}

/** Today's mailbox to the phone, as a holder of the pairing posts to it. */
function toDevice(server: string, owner: Pairing) {
  const capability = mailboxCapability(owner.secret, 'to-device', channelDay(Date.now()));
  const mailbox = mailboxIdOf(capability);
  const post = (message: Uint8Array, withCapability = capability) =>
    fetch(`${server}/v1/mailboxes/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capability: bytesToBase64(withCapability), message: bytesToBase64(message) }),
    });
  const count = async () =>
    (
      (await (
        await fetch(`${server}/v1/mailboxes/messages/read`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capability: bytesToBase64(capability) }),
        })
      ).json()) as { messages: unknown[] }
    ).messages.length;
  const seal = (body: Record<string, unknown>, signer = owner.keys) =>
    sealChannelMessage(body, mailbox, signer, owner.peer);
  return { post, count, seal };
}

/**
 * Refused: signed by another key, replayed, expired, numbered from a clock far ahead; a post
 * without the pairing never arrives. Taken once each: two commands that arrive out of order.
 */
async function refusals(server: string, folder: string, owner: Pairing) {
  const { post, count, seal } = toDevice(server, owner);
  const next = (JSON.parse(readFileSync(`${join(folder, 'phone.owner.json')}.state`, 'utf8')) as OwnerMemory).nextSeq;
  const expiresAt = Math.floor(Date.now() / 1000) + 600;
  const genuine = await seal({ type: 'ring', seq: next, expiresAt });
  const forged = await seal({ type: 'photo', seq: next + 1, expiresAt }, newChannelKeys());
  const expired = await seal({ type: 'locate', seq: next + 2, expiresAt: expiresAt - 601 });
  // As every command was numbered before: by its sender's clock, here one a year ahead.
  const clockAhead = await seal({ type: 'ring', seq: Date.now() + 365 * 86_400_000, expiresAt });
  const first = await seal({ type: 'message', message: 'first', seq: next + 3, expiresAt });
  const second = await seal({ type: 'message', message: 'second', seq: next + 4, expiresAt });
  const stranger = crypto.getRandomValues(new Uint8Array(32));
  const before = await count();
  // A stranger, without the pairing, can only name a mailbox of its own.
  expect((await post(genuine, stranger)).status).toBe(201);
  for (const message of [genuine, genuine, forged, expired, clockAhead, second, first])
    expect((await post(message)).status).toBe(201);
  // The stranger's post is not among them: without the pairing, nothing reaches this mailbox.
  expect(await count()).toBe(before + 7);
  const refused = await phone(server, folder, 7);
  expect(refused.stdout.match(/RINGING/g)).toHaveLength(1);
  expect(refused.stdout).toMatch(/refused ring: replayed/);
  expect(refused.stdout).toMatch(/refused a message: the message is not signed by the other side/);
  expect(refused.stdout).toMatch(/refused locate: expired/);
  expect(refused.stdout).toMatch(/refused ring: too far ahead/);
  // The later-numbered one came first; the earlier one is still taken, once.
  expect(refused.stdout).toMatch(/lock screen: "second"[^]*lock screen: "first"/);
}

/** The owner's record lost or corrupt: the next command still reaches the phone. */
async function recoveries(server: string, folder: string, ownerFile: string) {
  const running = phone(server, folder, 3);
  // A counter far ahead (as a clock-numbered record would be): refused, then sent again numbered as the phone says.
  writeFileSync(`${ownerFile}.state`, JSON.stringify({ nextSeq: Date.now() }));
  const renumbered = await cli('command', 'ring', '--pairing', ownerFile, '--server', server, '--wait', '20s');
  expect(renumbered.code, renumbered.stderr).toBe(0);
  expect(renumbered.stdout.trim().split('\n')).toHaveLength(3);
  expect(JSON.parse(renumbered.stdout.trim().split('\n')[2]!)).toMatchObject({ type: 'done', command: 'ring' });
  // No record at all: the numbering picks up from the phone's recent answers.
  rmSync(`${ownerFile}.state`);
  expect(await answerTo(server, ownerFile, 'ring')).toMatchObject({ type: 'done', command: 'ring' });
  expect((await running).code).toBe(0);
  // The log of obeyed commands holds every command obeyed, and nothing refused.
  const obeyed = readFileSync(join(folder, 'phone.log'), 'utf8')
    .trim()
    .split('\n')
    .filter((line) => line.split(' ')[1] === 'obeyed');
  expect(obeyed.map((line) => line.split(' ')[2])).toEqual([
    ...['locate', 'locate', 'photo', 'lost', 'photo', 'photo', 'locate', 'ring', 'message', 'found'],
    ...['ring', 'message', 'message', 'ring', 'ring'],
  ]);
}

/** The owner's lost-state statement: a reset phone follows it; a stale one put back is ignored. */
async function lostState(server: string, folder: string, owner: Pairing) {
  const ownerFile = join(folder, 'phone.owner.json');
  const capability = bytesToBase64(mailboxCapability(owner.secret, 'state', channelDay(Date.now())));
  const statementNow = async () =>
    (
      (await (
        await fetch(`${server}/v1/mailboxes/states/read`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capability }),
        })
      ).json()) as { statement: string }
    ).statement;
  const putBack = (statement: string) =>
    fetch(`${server}/v1/mailboxes/states`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ states: [{ capability, statement, expiresAt: Date.now() + 3_600_000 }] }),
    });
  // A phone that starts asks whether it is lost.
  expect((await cli('command', 'lost', '--pairing', ownerFile, '--server', server, '--text', LOCK_SCREEN)).code).toBe(
    0,
  );
  const lostStatement = await statementNow();
  const reset = await phone(server, folder, 1);
  expect(reset.stdout).toContain(
    `LOST MODE (from the owner’s lost-state statement): the lock screen shows "${LOCK_SCREEN}"`,
  );
  expect((await cli('command', 'found', '--pairing', ownerFile, '--server', server)).code).toBe(0);
  const afterFound = await phone(server, folder, 0);
  expect(afterFound.stdout).toContain('lost mode ended (from the owner’s lost-state statement)');
  // Whoever holds the day's state capability puts the old "lost" back: the phone's record is newer.
  expect((await putBack(lostStatement)).status).toBe(204);
  const stale = await phone(server, folder, 0);
  expect(stale.stdout).toMatch(/ignored the owner’s lost-state statement: older than this phone's record/);
  expect(stale.stdout).not.toContain('LOST MODE');
  expect(stale.stdout).toMatch(/stopped; lost mode off/);
  // A statement past its expiry, however new its number, is ignored too.
  const expired = await sealChannelMessage(
    { type: 'lost', seq: 1_000_000, expiresAt: Math.floor(Date.now() / 1000) - 1, message: LOCK_SCREEN },
    mailboxIdOf(base64ToBytes(capability)),
    owner.keys,
    owner.peer,
  );
  expect((await putBack(bytesToBase64(expired))).status).toBe(204);
  const late = await phone(server, folder, 0);
  expect(late.stdout).toMatch(/ignored the owner’s lost-state statement: expired/);
  expect(late.stdout).toMatch(/stopped; lost mode off/);
}

/** The phone's user ends the pairing alone; the owner sees it, and the owner's tools send nothing more. */
async function unpairing(server: string, folder: string, ownerFile: string) {
  const deviceFile = join(folder, 'phone.device.json');
  const unpaired = await cli('device', 'unpair', '--pairing', deviceFile, '--server', server);
  expect(unpaired.code, unpaired.stderr).toBe(0);
  expect(existsSync(deviceFile) || existsSync(`${deviceFile}.state`)).toBe(false);
  const refused = await cli('command', 'ring', '--pairing', ownerFile, '--server', server);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/Phone ended the pairing at \d{4}-.*nothing more is sent to it/);
  expect(refused.stdout).toBe('');
  const inbox = await cli('inbox', '--pairing', ownerFile, '--server', server);
  expect(inbox.stdout).toMatch(/"type":"unpaired"/);
}
