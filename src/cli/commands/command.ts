/** `crowdfind command`: the owner asks a paired phone to do something. */
import {
  commandPhone,
  COMMANDS,
  sendCommand,
  type ChannelBody,
  type CommandType,
  type OwnerMemory,
} from '../../sdk/channel.ts';
import { duration, parse, serverOption, UsageError } from '../args.ts';
import { jsonRecord, readPairingFile, type Command } from '../io.ts';

export const commandCommand: Command = {
  help: `crowdfind command <${COMMANDS.join('|')}> --pairing FILE --server URL
                 [--text TEXT] [--callback NUMBER] [--expires 10m] [--wait 30s] [--state FILE]

Signs the command with your key, seals it to the phone and posts it to the phone's mailbox of
the day. message and lost take --text (shown on the lock screen) and --callback (a number to
call); lost also stores the lost state for 31 days, so a phone that was reset and still has its
pairing finds itself lost on start; found clears it. The phone refuses the command after
--expires (default 10m) and refuses any copy of it. --wait waits for the phone's answer and
prints it. Commands are numbered 1, 2, 3… in --state (default FILE.state); without it, the
numbering picks up from the phone's recent answers, and a number the phone refuses is sent again
with the phone's. Once the phone has ended the pairing (crowdfind device unpair), nothing is sent
and the command exits 1.`,

  async run(args, io) {
    const [type, ...rest] = args;
    if (!COMMANDS.includes(type as CommandType))
      throw new UsageError(`name a command: ${COMMANDS.join(', ')} (crowdfind command --help)`);
    const values = parse(rest, {
      pairing: { type: 'string' },
      server: { type: 'string' },
      text: { type: 'string' },
      callback: { type: 'string' },
      expires: { type: 'string' },
      wait: { type: 'string' },
      state: { type: 'string' },
    });
    const pairing = readPairingFile(values, 'owner');
    const server = serverOption(values);
    const record = jsonRecord<OwnerMemory>((values.state as string | undefined) ?? `${values.pairing as string}.state`);
    const fields = {
      ...(values.text ? { message: values.text as string } : {}),
      ...(values.callback ? { callback: values.callback as string } : {}),
      expiresInMs: duration(values, 'expires', '10m'),
    };
    const options = { server, now: io.now?.().getTime() ?? Date.now() };
    const sent = (body: ChannelBody) =>
      io.stdout(JSON.stringify({ sent: type, to: pairing.name, seq: body.seq }) + '\n');
    if (values.wait === undefined)
      return sent(await sendCommand(pairing, type as CommandType, fields, record, options));
    const ms = duration(values, 'wait', '30s');
    const { answer } = await commandPhone(pairing, type as CommandType, fields, record, ms, options, sent);
    if (!answer)
      throw new Error(`no answer from ${pairing.name} within ${ms / 1000} s (it may be off or out of reach)`);
    io.stdout(JSON.stringify(answer) + '\n');
  },
};
