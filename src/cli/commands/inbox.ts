/** `crowdfind inbox`: what a paired phone sent, opened and checked here. */
import { channelDay } from '../../../crypto/index.ts';
import { readFromPeer } from '../../sdk/channel.ts';
import { parse, serverOption } from '../args.ts';
import { readPairingFile, type Command } from '../io.ts';

export const inboxCommand: Command = {
  help: `crowdfind inbox --pairing FILE --server URL

Reads the phone's mailboxes of today and yesterday and prints each answer and event (locations,
command results, SIM changes) as a JSON line, oldest first. A message not sealed to you or not
signed by the phone is printed as refused, never as what it claims.`,

  async run(args, io) {
    const values = parse(args, { pairing: { type: 'string' }, server: { type: 'string' } });
    const pairing = readPairingFile(values, 'owner');
    const server = serverOption(values);
    const today = channelDay(io.now?.().getTime() ?? Date.now());
    for (const day of [today - 1, today])
      for (const message of await readFromPeer(pairing, day, 0, 0, { server }))
        io.stdout(JSON.stringify('body' in message ? message.body : { refused: message.refused }) + '\n');
  },
};
