/**
 * Paired phones on the owner's page: open the owner's side of a pairing (crowdfind pair), send
 * the phone a command, and see its answer: a location joins the map, a photo is downloaded,
 * decrypted and shown here. Commands are signed and sealed in this page; the server relays.
 */
import { downloadAttachment, type AttachmentRef } from '../sdk/attachments.ts';
import {
  commandPhone,
  type ChannelBody,
  type CommandType,
  type OwnerMemory,
  type OwnerRecord,
} from '../sdk/channel.ts';
import { readPairing, type Pairing } from '../sdk/pairing.ts';
import { bytesToHex, channelDay } from '../../crypto/index.ts';

/** How long the page waits for a phone's answer. */
const ANSWER_MS = 60_000;

export interface PhoneCallbacks {
  readonly server: () => string;
  readonly say: (text: string, error?: boolean) => void;
  /** A phone answered with its position. */
  readonly located: (phone: string, latitude: number, longitude: number, accuracy: number, at: Date) => void;
}

/** The page's record of a pairing (command numbers, an unpairing), in this browser's storage. */
function recordOf(pairing: Pairing): OwnerRecord {
  const key = `crowdfind.pairing.${bytesToHex(pairing.peer.signingPublicKey)}`;
  return {
    load: () => (JSON.parse(localStorage.getItem(key) ?? 'null') as OwnerMemory | null) ?? undefined,
    save: (memory) => localStorage.setItem(key, JSON.stringify(memory)),
  };
}

/** Reads pairing files; only the owner's side is of use here. */
export async function readPairingFiles(files: FileList): Promise<Pairing[]> {
  const pairings = await Promise.all([...files].map(async (file) => readPairing(await file.text())));
  const wrong = pairings.find((p) => p.role !== 'owner');
  if (wrong) throw new Error(`that is the phone's side of the pairing with ${wrong.name}; open yours (…owner.json)`);
  return pairings;
}

/** One list item per phone, with its commands and the answers that come back. */
export function phoneItem(pairing: Pairing, callbacks: PhoneCallbacks): HTMLLIElement {
  const item = document.createElement('li');
  item.dataset.phone = pairing.name;
  const name = document.createElement('div');
  name.className = 'name';
  name.textContent = pairing.name;
  const text = document.createElement('input');
  text.className = 'phone-text';
  text.placeholder = 'Lock-screen message (message, lost)';
  const callback = document.createElement('input');
  callback.className = 'phone-callback';
  callback.placeholder = 'Call-back number';
  const answers = document.createElement('ul');
  answers.className = 'answers';
  const buttons = (['locate', 'ring', 'photo', 'message', 'lost', 'found'] as CommandType[]).map((type) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `command-${type}`;
    button.textContent = type[0]!.toUpperCase() + type.slice(1);
    button.addEventListener('click', () => {
      button.disabled = true;
      void send(pairing, type, text.value, callback.value, callbacks, answers).finally(() => (button.disabled = false));
    });
    return button;
  });
  item.append(name, ...buttons, text, callback, answers);
  return item;
}

async function send(
  pairing: Pairing,
  type: CommandType,
  text: string,
  callback: string,
  callbacks: PhoneCallbacks,
  answers: HTMLUListElement,
): Promise<void> {
  const server = callbacks.server();
  try {
    const { answer } = await commandPhone(
      pairing,
      type,
      { message: text, callback },
      recordOf(pairing),
      ANSWER_MS,
      { server, now: Date.now() },
      () => callbacks.say(`Sent ${type} to ${pairing.name}; waiting for its answer…`),
    );
    if (!answer) return callbacks.say(`${pairing.name} did not answer within a minute (it may be off).`, true);
    answers.prepend(await answerItem(pairing, answer, server, callbacks));
    callbacks.say(`${pairing.name} answered ${type}.`);
  } catch (error) {
    callbacks.say((error as Error).message, true);
  }
}

async function answerItem(pairing: Pairing, answer: ChannelBody, server: string, callbacks: PhoneCallbacks) {
  const item = document.createElement('li');
  item.className = `answer answer-${answer.type}`;
  if (answer.type === 'location') {
    const [latitude, longitude, accuracy] = [answer.latitude, answer.longitude, answer.accuracy].map(Number) as [
      number,
      number,
      number,
    ];
    const at = new Date(String(answer.at));
    item.dataset.lat = String(latitude);
    item.dataset.lon = String(longitude);
    item.textContent = `at ${latitude.toFixed(5)}, ${longitude.toFixed(5)} ±${accuracy} m (${at.toISOString().slice(11, 16)} UTC)`;
    callbacks.located(pairing.name, latitude, longitude, accuracy, at);
  } else if (answer.type === 'photo') {
    const photo = await downloadAttachment(pairing, channelDay(Date.now()), answer as unknown as AttachmentRef, {
      server,
    });
    const image = document.createElement('img');
    image.className = 'phone-photo';
    image.alt = `Photo from ${pairing.name}`;
    image.src = URL.createObjectURL(new Blob([photo as BlobPart]));
    item.dataset.sha256 = String(answer.sha256);
    item.append(image);
  } else {
    item.textContent =
      answer.type === 'failed'
        ? `could not ${String(answer.command)}: ${String(answer.reason)}`
        : `${String(answer.command)}: done`;
  }
  return item;
}
