/** `crowdfind keys new`: a key pair or an AirTag-style accessory, in FindMy.py's JSON. */
import { generatePrivateKey, SECRET_LENGTH } from '../../../crypto/index.ts';
import { deviceOf, findMyPyJson } from '../../sdk/key-files.ts';
import { parse, parseTime } from '../args.ts';
import { output, type Command } from '../io.ts';

export const keysNewCommand: Command = {
  help: `crowdfind keys new [--rolling [--paired TIME]] [--name NAME] [--out FILE]

Writes a new static key pair ({"type":"keypair"}) or, with --rolling, an AirTag-style
accessory ({"type":"accessory"}: master key, primary and secondary secrets, pairing time
--paired, default now) in FindMy.py's JSON format, to FILE or stdout.`,

  async run(args, io) {
    const values = parse(args, {
      rolling: { type: 'boolean' },
      name: { type: 'string' },
      out: { type: 'string' },
      paired: { type: 'string' },
    });
    const name = (values.name as string | undefined) ?? (values.rolling ? 'accessory' : 'keypair');
    const secret = () => crypto.getRandomValues(new Uint8Array(SECRET_LENGTH));
    const now = io.now?.() ?? new Date();
    const pairedAt = values.paired ? parseTime(values.paired as string, now) : now;
    const device = values.rolling
      ? deviceOf(name, {
          kind: 'rolling',
          masterKey: generatePrivateKey(),
          primarySecret: secret(),
          secondarySecret: secret(),
          pairedAt: new Date(Math.floor(pairedAt.getTime() / 1000) * 1000),
        })
      : deviceOf(name, { kind: 'fixed', privateKeys: [generatePrivateKey()] });
    output(JSON.stringify(findMyPyJson(device), null, 2) + '\n', values.out as string | undefined, io);
  },
};
