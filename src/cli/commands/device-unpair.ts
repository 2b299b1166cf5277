/** `crowdfind device unpair`: the phone's user ends the pairing alone, and its owner is told. */
import { rmSync } from 'node:fs';
import { unpair, type AgentMemory } from '../../sdk/device-agent.ts';
import { parse, serverOption } from '../args.ts';
import { jsonRecord, readPairingFile, type Command } from '../io.ts';

export const deviceUnpairCommand: Command = {
  help: `crowdfind device unpair --pairing FILE --server URL [--state FILE]

Ends this phone's pairing: tells the owner with a signed "unpaired" message (after which the
owner's tools send nothing more), then deletes FILE and its --state (default FILE.state), so
the owner can reach this phone no more. Nothing of the owner's is needed. When the server cannot
be reached the pairing is deleted all the same, the owner is not told, and the command exits 1.`,

  async run(args, io) {
    const values = parse(args, { pairing: { type: 'string' }, server: { type: 'string' }, state: { type: 'string' } });
    const pairing = readPairingFile(values, 'device');
    const server = serverOption(values);
    const path = values.pairing as string;
    const memoryFile = (values.state as string | undefined) ?? `${path}.state`;
    const told = await unpair(pairing, jsonRecord<AgentMemory>(memoryFile).load(), {
      server,
      now: io.now?.().getTime() ?? Date.now(),
    }).then(
      () => undefined,
      (error: Error) => error,
    );
    // Ending the pairing must not wait on the server: the keys go whatever it answered.
    rmSync(path, { force: true });
    rmSync(memoryFile, { force: true });
    if (told) throw new Error(`unpaired here, but the owner could not be told: ${told.message}`);
    io.stdout(JSON.stringify({ unpaired: pairing.name, ownerTold: true }) + '\n');
  },
};
