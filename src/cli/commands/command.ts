/** `crowdfind command`: the owner asks a paired phone to do something. */
import {
  commandPhone,
  COMMANDS,
  TEXT_COMMANDS,
  sendCommand,
  type ChannelBody,
  type CommandType,
  type OwnerMemory,
} from '../../sdk/channel.ts';
import { duration, parse, serverOption, UsageError } from '../args.ts';
import { jsonRecord, readPairingFile, shownMessage, type Command } from '../io.ts';

export const commandCommand: Command = {
  help: `crowdfind command <${COMMANDS.join('|')}> --pairing FILE --server URL
                 [--text TEXT] [--callback NUMBER] [--expires 10m] [--wait 30s] [--state FILE]

Signs the command with your key, seals it to the phone and posts it to the phone's mailbox of
the day. message and lost take --text (shown on the lock screen; message needs it) and --callback (a
number to call); lost also stores the lost state for 31 days, so a phone that was reset and still has its
pairing finds itself lost on start; found clears it. The phone refuses the command after
--expires (default 10m) and refuses any copy of it. --wait waits for the phone's answer and
prints it, never a photo's key (crowdfind inbox --out saves the photo); an answer saying the
phone failed or refused exits 1. Every option is checked before anything is sent. Commands are numbered 1, 2, 3… in --state (default FILE.state); without it, the
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
    // Checked before sending: a mistake found after the phone rang is found too late.
    const pairing = readPairingFile(values, 'owner');
    const server = serverOption(values);
    const record = jsonRecord<OwnerMemory>((values.state as string | undefined) ?? `${values.pairing as string}.state`);
    const takesText = TEXT_COMMANDS.includes(type as CommandType);
    for (const option of ['text', 'callback'])
      if (!takesText && values[option] !== undefined)
        throw new UsageError(`--${option} goes with ${TEXT_COMMANDS.join(' and ')}, not ${type}`);
    const fields = {
      ...(values.text ? { message: values.text as string } : {}),
      ...(values.callback ? { callback: values.callback as string } : {}),
      expiresInMs: duration(values, 'expires', '10m'),
    };
    const waitMs = values.wait === undefined ? undefined : duration(values, 'wait', '30s');
    const options = { server, now: io.now?.().getTime() ?? Date.now() };
    const sent = (body: ChannelBody) =>
      io.stdout(JSON.stringify({ sent: type, to: pairing.name, seq: body.seq }) + '\n');
    if (waitMs === undefined) return sent(await sendCommand(pairing, type as CommandType, fields, record, options));
    const { answer } = await commandPhone(pairing, type as CommandType, fields, record, waitMs, options, sent);
    if (!answer)
      throw new Error(`no answer from ${pairing.name} within ${waitMs / 1000} s (it may be off or out of reach)`);
    io.stdout(JSON.stringify(shownMessage(answer)) + '\n');
    if (answer.type === 'failed')
      throw new Error(`${pairing.name} refused ${type}: ${String(answer.reason ?? 'it gave no reason')}`);
  },
};
