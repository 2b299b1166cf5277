/** `crowdfind watch`: the owner's live view, each new report decrypted here as it arrives. */
import { MAX_WEBHOOK_SECRET_LENGTH, MIN_WEBHOOK_SECRET_LENGTH } from '../../contract/limits.ts';
import { formatReports, reportRecord } from '../../sdk/formats.ts';
import { homeAssistantDiscovery, homeAssistantLocation } from '../../sdk/home-assistant.ts';
import type { Device } from '../../sdk/key-files.ts';
import type { LocatedReport } from '../../sdk/owner.ts';
import { watch } from '../../sdk/watch.ts';
import { number, parse, required, serverOption, UsageError, type Values } from '../args.ts';
import type { ArchiveFile } from '../../sdk/archive-file.ts';
import { ARCHIVE_HELP, ARCHIVE_OPTIONS, archiveOption, openArchive } from '../archive-option.ts';
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
    const devices = readDevices(required(values, 'keys'));
    await watchDevices(devices, watchSettings(values), io);
  },
};

/** The watch's options, checked, so that `lost on --watch` refuses a mistake before it publishes. */
export interface WatchSettings {
  readonly server: string;
  readonly format: 'table' | 'json';
  readonly count: number | undefined;
  readonly mqtt: string | undefined;
  readonly prefix: string;
  readonly webhook: { url: string; secret: string } | undefined;
  /** Opens --archive, once the other options have been checked. */
  readonly openArchive: () => Promise<ArchiveFile | undefined>;
}

/** Checks the watch's options (WATCH_OPTIONS) without sending anything. */
export function watchSettings(values: Values): WatchSettings {
  const server = serverOption(values);
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json');
  const count = values.count === undefined ? undefined : number(values, 'count');
  if (count !== undefined && !(Number.isInteger(count) && count > 0))
    throw new UsageError('--count must be a positive integer');
  if ((values.webhook === undefined) !== (values['webhook-secret'] === undefined))
    throw new UsageError('--webhook and --webhook-secret go together');
  if (values.webhook !== undefined) {
    checkScheme('--webhook', values.webhook as string, ['http:', 'https:']);
    const length = (values['webhook-secret'] as string).length;
    if (length < MIN_WEBHOOK_SECRET_LENGTH || length > MAX_WEBHOOK_SECRET_LENGTH)
      throw new UsageError(
        `--webhook-secret must be ${MIN_WEBHOOK_SECRET_LENGTH} to ${MAX_WEBHOOK_SECRET_LENGTH} characters, got ${length}`,
      );
  }
  if (values.mqtt !== undefined) checkScheme('--mqtt', values.mqtt as string, ['mqtt:', 'mqtts:', 'ws:', 'wss:']);
  const archive = archiveOption(values);
  return {
    server,
    format,
    count,
    mqtt: values.mqtt as string | undefined,
    prefix: (values['mqtt-prefix'] as string | undefined) ?? 'homeassistant',
    webhook: values.webhook ? { url: values.webhook as string, secret: values['webhook-secret'] as string } : undefined,
    openArchive: () => openArchive(archive),
  };
}

/** The watch itself, shared with `lost on --watch`. */
export async function watchDevices(devices: Device[], settings: WatchSettings, io: CliIo): Promise<void> {
  const { server, format, count, prefix } = settings;
  const archive = await settings.openArchive();
  const broker =
    settings.mqtt === undefined
      ? undefined
      : await connectBroker(settings.mqtt).catch((error: Error) => {
          archive?.close();
          throw error;
        });
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
      ...(settings.webhook ? { webhook: settings.webhook } : {}),
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

/** Refuses a URL that is not one, or not of the schemes an option takes; a user:password in it is not repeated. */
function checkScheme(option: string, text: string, schemes: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${option}: not a URL: ${hidePassword(text)} (write it as ${schemes[0]}//host…)`);
  }
  if (!schemes.includes(url.protocol))
    throw new UsageError(
      `${option} takes ${schemes.map((s) => s.slice(0, -1)).join(', ')} URLs, not ${url.protocol.slice(0, -1)}`,
    );
}

function hidePassword(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//…@');
}

/** An unreachable broker is a runtime failure (exit 1), as an unreachable server is. */
async function connectBroker(url: string) {
  // Loaded only for --mqtt: it is most of what the CLI would otherwise read at every start.
  const { default: mqtt } = await import('mqtt');
  try {
    return await mqtt.connectAsync(url, { connectTimeout: 5000, reconnectPeriod: 0 });
  } catch (error) {
    throw new Error(`--mqtt: cannot connect to ${hidePassword(url)}: ${(error as Error).message}`);
  }
}
