/** `crowdfind keys new`: a key pair or an AirTag-style accessory, in FindMy.py's JSON. */
import { generatePrivateKey, SECRET_LENGTH } from '../../../crypto/index.ts';
import { deviceOf, findMyPyJson } from '../../sdk/key-files.ts';
import { parse, parseTime, UsageError } from '../args.ts';
import { writePrivateFile, type Command } from '../io.ts';

export const keysNewCommand: Command = {
  help: `crowdfind keys new [--rolling [--paired TIME]] [--name NAME] [--out FILE [--force]]

Writes a new static key pair ({"type":"keypair"}) or, with --rolling, an AirTag-style
accessory ({"type":"accessory"}: master key, primary and secondary secrets, pairing time
--paired, default now) in FindMy.py's JSON format, to stdout or to FILE, readable by you only.
An existing FILE is kept unless --force: it may hold the only keys of an item.`,

  async run(args, io) {
    const values = parse(args, {
      rolling: { type: 'boolean' },
      name: { type: 'string' },
      out: { type: 'string' },
      paired: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (values.paired !== undefined && !values.rolling)
      throw new UsageError('--paired is the pairing time of a rolling accessory: add --rolling');
    if (values.force && values.out === undefined) throw new UsageError('--force replaces the file --out names');
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
    const text = JSON.stringify(findMyPyJson(device), null, 2) + '\n';
    const out = values.out as string | undefined;
    if (out === undefined) return io.stdout(text);
    writePrivateFile(out, text, values.force === true);
    io.stderr(
      `wrote ${values.rolling ? 'the accessory' : 'the key pair'} "${name}" to ${out} (private keys: keep a copy)\n`,
    );
  },
};
