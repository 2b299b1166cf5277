/**
 * The owner↔device channel end to end against a running server, the same for every runtime:
 * pair; a stand-in phone answers every command, a photo arriving byte for byte; forged, replayed and expired commands and posts
 * without the pairing are refused; a reset phone finds itself lost.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  bytesToBase64,
  channelDay,
  mailboxCapability,
  mailboxIdOf,
  newChannelKeys,
  sealChannelMessage,
} from '../../crypto/index.ts';
import { readPairing } from '../../src/sdk/pairing.ts';
import { cli } from './lost-mode-scenario.ts';

export const LOCK_SCREEN = 'This phone is lost, please call';
export const CALLBACK = '+15550123';
export const PHONE_LATITUDE = 48.8583701;
/** The photo the stand-in phone's camera takes: 200 kB of random bytes, so four chunks. */
export const PHOTO = new Uint8Array(randomBytes(200_000));

/** Runs the stand-in phone until it has handled `count` messages; resolves to what it printed. */
function phone(server: string, folder: string, count: number, extra: string[] = []) {
  mkdirSync(join(folder, 'camera'), { recursive: true });
  writeFileSync(join(folder, 'camera', 'front.jpg'), PHOTO);
  return cli(
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
  const command = (...args: string[]) =>
    cli('command', ...args, '--pairing', ownerFile, '--server', server, '--wait', '20s');

  // Every command, each answered; a photo only once the phone is in lost mode.
  const running = phone(server, folder, 7, ['--sim-changed']);
  const answerTo = async (...args: string[]) => {
    const sent = await command(...args);
    expect(sent.code, sent.stderr).toBe(0);
    return JSON.parse(sent.stdout.split('\n')[1]!) as Record<string, unknown>;
  };
  expect(await answerTo('locate')).toMatchObject({ type: 'location', latitude: PHONE_LATITUDE });
  // A refusal is printed, said in a line, and exits 1.
  const refusedPhoto = await command('photo');
  expect(refusedPhoto.code, refusedPhoto.stderr).toBe(1);
  expect(JSON.parse(refusedPhoto.stdout.split('\n')[1]!)).toMatchObject({
    type: 'failed',
    reason: 'photos are taken only in lost mode',
  });
  expect(refusedPhoto.stderr).toBe('crowdfind command: Phone refused photo: photos are taken only in lost mode\n');
  expect(await answerTo('lost', '--text', LOCK_SCREEN, '--callback', CALLBACK)).toMatchObject({
    type: 'done',
    command: 'lost',
  });
  const photo = await answerTo('photo');
  expect(photo).toMatchObject({ type: 'photo', name: 'front.jpg', count: 4 });
  expect(photo, 'command --wait prints no photo key').not.toHaveProperty('key');
  expect(await answerTo('ring')).toMatchObject({ type: 'done', command: 'ring' });
  expect(await answerTo('message', '--text', 'Call me', '--callback', CALLBACK)).toMatchObject({
    type: 'done',
    command: 'message',
  });
  expect(await answerTo('found')).toMatchObject({ type: 'done', command: 'found' });
  const phoneSaid = await running;
  expect(phoneSaid.code, phoneSaid.stderr).toBe(0);
  expect(phoneSaid.stdout).toContain('RINGING');
  expect(phoneSaid.stdout).toContain(`lock screen: "Call me", call ${CALLBACK}`);
  expect(phoneSaid.stdout).toContain(
    `LOST MODE (from a command): the lock screen shows "${LOCK_SCREEN}", call ${CALLBACK}`,
  );
  const inboxRun = await cli('inbox', '--pairing', ownerFile, '--server', server, '--out', join(folder, 'inbox'));
  expect(inboxRun.code, inboxRun.stderr).toBe(0);
  const inbox = inboxRun.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(inbox.map((m) => m.type)).toEqual(['event', 'location', 'failed', 'done', 'photo', 'done', 'done', 'done']);
  // The photo arrives byte for byte; its key is never printed.
  expect(inbox[4].key).toBeUndefined();
  expect(readFileSync(inbox[4].savedTo).equals(Buffer.from(PHOTO))).toBe(true);
  expect(inbox[0]).toMatchObject({ event: 'sim-changed' });

  // Refused: signed by another key, replayed, expired; and a post without the pairing never arrives.
  const owner = readPairing(readFileSync(ownerFile, 'utf8'));
  const capability = mailboxCapability(owner.secret, 'to-device', channelDay(Date.now()));
  const mailbox = mailboxIdOf(capability);
  const postSealed = (message: Uint8Array, withCapability = capability) =>
    fetch(`${server}/v1/mailboxes/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capability: bytesToBase64(withCapability), message: bytesToBase64(message) }),
    });
  const now = Date.now();
  const genuine = await sealChannelMessage(
    { type: 'ring', seq: now, expiresAt: Math.floor(now / 1000) + 600 },
    mailbox,
    owner.keys,
    owner.peer,
  );
  const forged = await sealChannelMessage(
    { type: 'photo', seq: now + 1, expiresAt: Math.floor(now / 1000) + 600 },
    mailbox,
    newChannelKeys(),
    owner.peer,
  );
  const expired = await sealChannelMessage(
    { type: 'locate', seq: now + 2, expiresAt: Math.floor(now / 1000) - 1 },
    mailbox,
    owner.keys,
    owner.peer,
  );
  const stranger = crypto.getRandomValues(new Uint8Array(32));
  const inMailbox = async () =>
    (
      (await (
        await fetch(`${server}/v1/mailboxes/messages/read`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ capability: bytesToBase64(capability) }),
        })
      ).json()) as { messages: unknown[] }
    ).messages.length;
  const before = await inMailbox();
  // A stranger, without the pairing, can only name a mailbox of its own.
  expect((await postSealed(genuine, stranger)).status).toBe(201);
  for (const message of [genuine, genuine, forged, expired]) expect((await postSealed(message)).status).toBe(201);
  // The stranger's post is not among them: without the pairing, nothing reaches this mailbox.
  expect(await inMailbox()).toBe(before + 4);
  const refusals = await phone(server, folder, 4);
  expect(refusals.stdout.match(/RINGING/g)).toHaveLength(1);
  expect(refusals.stdout).toMatch(/refused ring: replayed/);
  expect(refusals.stdout).toMatch(/refused a message: the message is not signed by the other side/);
  expect(refusals.stdout).toMatch(/refused locate: expired/);

  // The log of obeyed commands holds every command obeyed, and nothing refused.
  const log = readFileSync(join(folder, 'phone.log'), 'utf8').trim().split('\n');
  expect(log.map((line) => line.split(' ')[2])).toEqual([
    'locate',
    'photo',
    'lost',
    'photo',
    'ring',
    'message',
    'found',
    'ring',
  ]);

  // A reset phone, with only its pairing, asks on start whether it is lost.
  expect((await cli('command', 'lost', '--pairing', ownerFile, '--server', server, '--text', LOCK_SCREEN)).code).toBe(
    0,
  );
  const reset = await phone(server, folder, 1);
  expect(reset.stdout).toContain(
    `LOST MODE (from the owner’s lost-state statement): the lock screen shows "${LOCK_SCREEN}"`,
  );
  expect((await cli('command', 'found', '--pairing', ownerFile, '--server', server)).code).toBe(0);
  const afterFound = await phone(server, folder, 0);
  expect(afterFound.stdout).not.toContain('LOST MODE (from the owner’s lost-state statement)');
}
