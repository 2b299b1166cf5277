/**
 * Reading a command line: options by node:util's parseArgs, with the checks and the one error
 * type every command shares. A mistake is a {@link UsageError}: one line, exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { serverUrl } from '../sdk/http.ts';

/** A mistake in the command line or its input: reported as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

/** parseArgs reads "--lat -33.8" as two options: a negative number after a string option is its value. */
function joinNegativeValues(args: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg.startsWith('--') && options[arg.slice(2)]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * The options of a command line (every command also takes --help and --debug).
 * @example const values = parse(['--keys', 'tag.json'], { keys: { type: 'string' } });
 */
export function parse(args: string[], options: Options): Values {
  const joined = joinNegativeValues(args, options);
  try {
    return parseArgs({
      args: joined,
      options: { ...options, help: { type: 'boolean' }, debug: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values as Values;
  } catch (error) {
    throw new UsageError(oneLine(error as Error, joined, options));
  }
}

/**
 * parseArgs's complaint as one line. An option followed by another (an unset shell variable:
 * `--server $S --wait 30s`) it explains in three lines; this names what is missing.
 */
function oneLine(error: Error, args: string[], options: Options): string {
  const missing = args.findIndex(
    (arg, i) => arg.startsWith('--') && options[arg.slice(2)]?.type === 'string' && args[i + 1]?.startsWith('-'),
  );
  if (missing >= 0) return `${args[missing]} needs a value, but ${args[missing + 1]} follows it`;
  return error.message.split('\n')[0]!;
}

/** A string option that must be given. */
export function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** A number option; without `fallback` it must be given. */
export function number(values: Values, name: string, fallback?: number): number {
  const value = values[name];
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const parsed = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(parsed))
    throw new UsageError(`--${name} must be a number, got "${String(value)}"`);
  return parsed;
}

/** The --server option, checked: an http(s) URL. */
export function serverOption(values: Values): string {
  const text = required(values, 'server');
  try {
    return serverUrl(text);
  } catch (error) {
    throw new UsageError(`--server: ${(error as Error).message}`);
  }
}

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/**
 * A time: ISO 8601 with at least a full date (2026-11-30, 2026-11-30T12:00Z), or a span back
 * from now with its unit (7d, 12h, 30m, 45s). A bare number is neither, and is refused rather
 * than read as a year or a month.
 * @example parseTime('7d', new Date())
 */
export function parseTime(text: string, now: Date): Date {
  const trimmed = text.trim();
  const span = spanMs(trimmed);
  if (span !== undefined) return new Date(now.getTime() - span);
  const date = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? new Date(trimmed) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime()))
    throw new UsageError(`not a time: "${text}" (use ISO 8601 like 2026-11-30T12:00Z, or 7d, 12h, 30m, 45s)`);
  return date;
}

/** A span with its unit (7d, 12h, 30m, 45s) in ms; undefined for anything else. */
function spanMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([dhms])$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

/**
 * An option that is a span of time (7d, 12h, 30m, 45s), in ms, positive.
 * @example duration(values, 'every', '5m') // 300000
 */
export function duration(values: Values, name: string, fallback: string): number {
  const text = (values[name] as string | undefined) ?? fallback;
  const ms = spanMs(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--${name} must be a span like 7d, 12h, 30m or 45s, got "${text}"`);
  return ms;
}

/**
 * The --since/--until window of a command, refused when it ends before it starts.
 * @example const { since, until } = timeWindow(values, now, '7d')
 */
export function timeWindow(values: Values, now: Date, defaultSince: string): { since: Date; until: Date } {
  const since = parseTime((values.since as string | undefined) ?? defaultSince, now);
  const until = values.until ? parseTime(values.until as string, now) : now;
  if (since > until)
    throw new UsageError(
      values.until
        ? `--since (${since.toISOString()}) is after --until (${until.toISOString()})`
        : `--since (${since.toISOString()}) is in the future`,
    );
  return { since, until };
}
