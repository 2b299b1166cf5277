/** `crowdfind inbox`: what a paired phone sent, opened and checked here. */
import { channelDay } from '../../../crypto/index.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { downloadAttachment, type AttachmentRef } from '../../sdk/attachments.ts';
import { noteFromPhone, readFromPeer, type OwnerMemory } from '../../sdk/channel.ts';
import { parse, serverOption } from '../args.ts';
import { jsonRecord, readPairingFile, shownMessage, type Command } from '../io.ts';

export const inboxCommand: Command = {
  help: `crowdfind inbox --pairing FILE --server URL [--out DIR] [--state FILE]

Reads the phone's mailboxes of today and yesterday and prints each answer and event (locations,
command results, SIM changes) as a JSON line, oldest first. A message not sealed to you or not
signed by the phone is printed as refused, never as what it claims. With --out, photos are
downloaded, decrypted, checked against the hash the phone sent, and saved there (the key of a
photo is never printed). What the phone says of itself goes into --state (default FILE.state):
the number it takes next, and that it ended the pairing ("unpaired"), after which crowdfind
command sends nothing more.`,

  async run(args, io) {
    const values = parse(args, {
      pairing: { type: 'string' },
      server: { type: 'string' },
      out: { type: 'string' },
      state: { type: 'string' },
    });
    const pairing = readPairingFile(values, 'owner');
    const server = serverOption(values);
    const record = jsonRecord<OwnerMemory>((values.state as string | undefined) ?? `${values.pairing as string}.state`);
    const today = channelDay(io.now?.().getTime() ?? Date.now());
    for (const day of [today - 1, today])
      for (const message of await readFromPeer(pairing, day, 0, 0, { server })) {
        if (!('body' in message)) {
          io.stdout(JSON.stringify({ refused: message.refused }) + '\n');
          continue;
        }
        noteFromPhone(message.body, record);
        const shown = shownMessage(message.body);
        if (message.body.type === 'photo' && values.out) {
          const photo = await downloadAttachment(pairing, day, message.body as unknown as AttachmentRef, { server });
          const path = join(
            values.out as string,
            `${message.body.seq}-${basename(String(message.body.name ?? 'photo'))}`,
          );
          mkdirSync(values.out as string, { recursive: true });
          writeFileSync(path, photo, { mode: 0o600 });
          io.stdout(JSON.stringify({ ...shown, savedTo: path }) + '\n');
        } else io.stdout(JSON.stringify(shown) + '\n');
      }
  },
};
