/** `crowdfind device run`: a stand-in for a paired phone, answering its owner's commands. */
import { basename, join } from 'node:path';
import { pairedLine, runDeviceAgent, type AgentMemory } from '../../sdk/device-agent.ts';
import { positionAt } from '../../sdk/simulate.ts';
import { number, parse, serverOption, UsageError } from '../args.ts';
import { appendPrivateFile, jsonRecord, readFolder, readInput, readPairingFile, type Command } from '../io.ts';
import { readRoute } from '../route-file.ts';

export const deviceRunCommand: Command = {
  help: `crowdfind device run --pairing FILE --server URL (--route FILE.geojson [--hours H] | --lat --lon)
                 [--camera DIR] [--log FILE] [--state FILE] [--sim-changed] [--count N]

Stands in for a phone in lost mode: asks on start whether it is lost (a reset phone with its
pairing re-enters lost mode), then waits for its owner's commands, obeys those signed by the
owner, new and unexpired, and answers sealed to the owner: locate with its position on the
route (walked over H hours, default 1) or at --lat/--lon, ring, message and lost/found by
saying on stdout what a phone would show (warnings go to stderr). Every obeyed command is
appended to --log (default FILE.log), which no command can erase. What it has obeyed is kept
in --state (default FILE.state), so a restart neither repeats nor misses a command; a phone
without that record (reset) skips the commands already waiting rather than obey any twice.
Both files are checked at start. --camera DIR is the phone's camera: a folder of image files
(photo.jpg…), which it "takes" in name order, round and round, when a photo command comes in
lost mode; without it the phone answers that it has no camera. --sim-changed reports a SIM
change at start; --count stops after N messages (0: after start-up).

What a phone must show its user goes to stderr and to the log: that it is paired and with whom
(at start and when it stops), each location and photo it sends. Outside lost mode it answers
locate at most once every 15 minutes; it takes a photo only once lost mode has been on the lock
screen for 5 minutes. crowdfind device unpair ends the pairing.`,

  async run(args, io) {
    const values = parse(args, {
      pairing: { type: 'string' },
      server: { type: 'string' },
      route: { type: 'string' },
      hours: { type: 'string' },
      lat: { type: 'string' },
      lon: { type: 'string' },
      log: { type: 'string' },
      state: { type: 'string' },
      camera: { type: 'string' },
      'sim-changed': { type: 'boolean' },
      count: { type: 'string' },
    });
    const pairing = readPairingFile(values, 'device');
    const server = serverOption(values);
    const clock = () => io.now?.().getTime() ?? Date.now();
    const start = new Date(clock());
    let position: (time: Date) => { latitude: number; longitude: number; accuracy: number };
    if (values.route !== undefined) {
      const route = readRoute(values.route as string);
      const span = number(values, 'hours', 1) * 3_600_000;
      position = (time) => {
        const [longitude, latitude] = positionAt(route, Math.min(1, (time.getTime() - start.getTime()) / span));
        return { latitude, longitude, accuracy: 10 };
      };
    } else if (values.lat !== undefined && values.lon !== undefined) {
      const fix = { latitude: number(values, 'lat'), longitude: number(values, 'lon'), accuracy: 10 };
      position = () => fix;
    } else throw new UsageError('give --route, or --lat and --lon');
    const count = values.count === undefined ? undefined : number(values, 'count');
    const camera = values.camera === undefined ? undefined : cameraOf(values.camera as string);
    const log = (values.log as string | undefined) ?? `${values.pairing as string}.log`;
    const memoryFile = (values.state as string | undefined) ?? `${values.pairing as string}.state`;
    // Both written as commands are obeyed: a mistake in either is found now, not after the phone rang.
    appendPrivateFile(log, '');
    const memory = jsonRecord<Partial<AgentMemory>>(memoryFile, "a phone's record of obeyed commands");
    const remembered = memory.load();
    if (remembered) memory.save(remembered);
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    io.stderr(`crowdfind device run: ${pairing.name} answers its owner's commands through ${server} (Ctrl-C stops)\n`);
    try {
      const state = await runDeviceAgent({
        server,
        pairing,
        position,
        say: (line) => io.stdout(`${line}\n`),
        show: (line) => {
          io.stderr(`${line}\n`);
          appendPrivateFile(log, `${new Date(clock()).toISOString()} shown: ${line}\n`);
        },
        warn: (line) => io.stderr(`crowdfind device run: ${line}\n`),
        // Appended and never truncated: no command of the owner's reaches this file.
        obeyed: (line) => appendPrivateFile(log, `${line}\n`),
        simChanged: values['sim-changed'] === true,
        ...(camera ? { camera } : {}),
        memory: { load: () => remembered, save: memory.save },
        clock,
        signal: stop.signal,
        ...(count === undefined ? {} : { count }),
      });
      io.stdout(`stopped; lost mode ${state.lost ? 'on' : 'off'}; ${pairedLine(pairing)}\n`);
    } finally {
      process.off('SIGINT', interrupt);
    }
  },
};

/** A camera that "takes" the files of a folder in name order, round and round; checked at start. */
function cameraOf(folder: string): () => { name: string; bytes: Uint8Array } {
  const files = readFolder(folder).filter((name) => !name.startsWith('.'));
  if (files.length === 0)
    throw new UsageError(`--camera ${folder} holds no files: put there the image files the phone's camera "takes"`);
  let next = 0;
  return () => {
    const path = join(folder, files[next++ % files.length]!);
    return { name: basename(path), bytes: new Uint8Array(readInput(path)) };
  };
}
