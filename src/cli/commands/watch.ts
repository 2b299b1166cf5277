/** `crowdfind watch`: the owner's live view, each new report decrypted here as it arrives. */
import mqtt from 'mqtt';
import { formatReports, reportRecord } from '../../sdk/formats.ts';
import { homeAssistantDiscovery, homeAssistantLocation } from '../../sdk/home-assistant.ts';
import type { Device } from '../../sdk/key-files.ts';
import type { LocatedReport } from '../../sdk/owner.ts';
import { watch } from '../../sdk/watch.ts';
import { number, parse, required, serverOption, UsageError, type Values } from '../args.ts';
import { ARCHIVE_HELP, ARCHIVE_OPTIONS, openArchiveOption } from '../archive-option.ts';
import { readDevices, type CliIo, type Command } from '../io.ts';

export const WATCH_OPTIONS = {
  keys: { type: 'string' },
  server: { type: 'string' },
  format: { type: 'string' },
  mqtt: { type: 'string' },
  'mqtt-prefix': { type: 'string' },
  webhook: { type: 'string' },
  'webhook-secret': { type: 'string' },
  count: { type: 'string' },
  ...ARCHIVE_OPTIONS,
} as const;

export const WATCH_HELP = `  --format table|json   a line per report: readable, or a JSON object (default table)
  --mqtt URL            also publish to an MQTT broker (mqtt://user:pass@host:1883) with Home
                        Assistant discovery: each device appears as a GPS device tracker
  --mqtt-prefix P       Home Assistant's discovery prefix (default homeassistant)
  --webhook URL --webhook-secret S
                        also have the server POST each event there, signed with S
  --count N             stop after N reports (default: run until interrupted)
${ARCHIVE_HELP}`;

export const watchCommand: Command = {
  help: `crowdfind watch --keys FILE --server URL [options]

Subscribes to every key the devices in FILE may broadcast now (renewing as rolling keys
advance), decrypts each report as it arrives and prints it. Only new reports: use locate for
what is stored already.

${WATCH_HELP}`,

  async run(args, io) {
    const values = parse(args, WATCH_OPTIONS);
    await watchDevices(readDevices(required(values, 'keys')), values, io);
  },
};

/** The watch itself, shared with `lost on --watch`. */
export async function watchDevices(devices: Device[], values: Values, io: CliIo): Promise<void> {
  const server = serverOption(values);
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json');
  const count = values.count === undefined ? undefined : number(values, 'count');
  if (count !== undefined && !(Number.isInteger(count) && count > 0))
    throw new UsageError('--count must be a positive integer');
  if ((values.webhook === undefined) !== (values['webhook-secret'] === undefined))
    throw new UsageError('--webhook and --webhook-secret go together');
  const archive = await openArchiveOption(values);
  const broker =
    values.mqtt === undefined
      ? undefined
      : await connectBroker(values.mqtt as string).catch((error: Error) => {
          archive?.close();
          throw error;
        });
  const prefix = (values['mqtt-prefix'] as string | undefined) ?? 'homeassistant';
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let seen = 0;
  try {
    if (broker)
      for (const device of devices) {
        const discovery = homeAssistantDiscovery(device.name, prefix);
        await broker.publishAsync(discovery.topic, discovery.payload, { retain: true, qos: 1 });
      }
    await watch(devices, {
      server,
      signal: stop.signal,
      ...(values.webhook
        ? { webhook: { url: values.webhook as string, secret: values['webhook-secret'] as string } }
        : {}),
      onStatus: (line) => io.stderr(`crowdfind watch: ${line}\n`),
      onReports: async (reports: LocatedReport[]) => {
        // Kept before shown: a report printed is a report the archive holds.
        await archive?.add(reports);
        for (const report of reports) {
          if (stop.signal.aborted) return;
          io.stdout(format === 'json' ? JSON.stringify(reportRecord(report)) + '\n' : tableLine(report));
          if (broker) {
            const location = homeAssistantLocation(report);
            await broker.publishAsync(location.topic, location.payload, { retain: true, qos: 1 });
          }
          if (count !== undefined && ++seen >= count) stop.abort();
        }
      },
    });
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await broker?.endAsync();
    archive?.close();
  }
}

/** One table row without the header. */
function tableLine(report: LocatedReport): string {
  return formatReports([report], 'table').split('\n')[1] + '\n';
}

async function connectBroker(url: string) {
  try {
    return await mqtt.connectAsync(url, { connectTimeout: 5000, reconnectPeriod: 0 });
  } catch (error) {
    throw new UsageError(
      `--mqtt: cannot connect to ${url.replace(/\/\/[^@/]*@/, '//…@')}: ${(error as Error).message}`,
    );
  }
}
