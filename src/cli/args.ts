/**
 * Reading a command line: options by node:util's parseArgs, with the checks and the one error
 * type every command shares. A mistake is a {@link UsageError}: one line, exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line or its input: reported as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

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
    throw new UsageError((error as Error).message);
  }
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

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/**
 * ISO 8601, or a span back from now: 7d, 12h, 30m, 45s.
 * @example parseTime('7d', new Date())
 */
export function parseTime(text: string, now: Date): Date {
  const relative = /^(\d+(?:\.\d+)?)([dhms])$/.exec(text.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`not a time: "${text}" (use ISO 8601 or 7d, 12h, 30m)`);
  return date;
}
