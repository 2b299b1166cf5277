/** `crowdfind pair`: a new pairing of an owner with a phone, as two files. */
import { freshMemory } from '../../sdk/device-agent.ts';
import { newPairing, pairingJson } from '../../sdk/pairing.ts';
import { parse, required } from '../args.ts';
import { writePrivateFile, type Command } from '../io.ts';

export const pairCommand: Command = {
  help: `crowdfind pair --name NAME --owner FILE --device FILE [--force]

Makes a pairing between you and a phone: the shared secret and a signing and an encryption key
for each side. --owner is yours (crowdfind command and inbox take it); --device goes to the
phone by hand (a cable, a QR code), never through a server, with its FILE.state (the phone's
record of obeyed commands, empty). All are written readable by you only, and none replaces an
existing file without --force.`,

  async run(args, io) {
    const values = parse(args, {
      name: { type: 'string' },
      owner: { type: 'string' },
      device: { type: 'string' },
      force: { type: 'boolean' },
    });
    const { owner, device } = newPairing(required(values, 'name'));
    const force = values.force === true;
    writePrivateFile(required(values, 'owner'), pairingJson(owner), force);
    writePrivateFile(required(values, 'device'), pairingJson(device), force);
    // The phone's record of obeyed commands starts empty with the pairing (device run --state).
    writePrivateFile(`${values.device as string}.state`, JSON.stringify(freshMemory()), force);
    io.stdout(JSON.stringify({ paired: owner.name, owner: values.owner, device: values.device }) + '\n');
  },
};
