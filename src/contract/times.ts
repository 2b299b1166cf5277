/**
 * The one rule for times in Crowdfind's own API, the JSON bodies and answers of /v1/*: every
 * absolute time is Unix milliseconds; a duration carries its unit in its name (`ttlSeconds`,
 * `waitSeconds`); a `seq` is a counter, never a time. The Apple-compatible and macless routes keep
 * Apple's units, and sealed formats keep their own (a notice's bound expiry and the channel's
 * bodies are Unix seconds, docs/protocol.md §13, §17): the routes convert at the boundary, so
 * storage may keep whole seconds.
 */
import { z } from '@hono/zod-openapi';

/** The rule in words, for /docs and the OpenAPI document. */
export const TIME_RULE =
  'Every absolute time in the JSON of /v1/* is Unix milliseconds; a duration names its unit (ttlSeconds, waitSeconds); a seq is a counter, never a time. The Apple-compatible and macless routes keep Apple’s units.';

/** R1's observation time (docs/vectors.json), for examples. */
export const EXAMPLE_TIME_MS = 1_735_749_597_000;

/** An absolute time on the wire. */
export const UnixMs = z.number().int().nonnegative().openapi({ example: EXAMPLE_TIME_MS });

/** An absolute time on the wire, described; every description opens with the unit. */
export const unixMs = (description: string) => UnixMs.openapi({ description: `Unix milliseconds: ${description}` });

/** A stored time in whole seconds, as the wire's milliseconds. */
export const secondsToMs = (seconds: number): number => seconds * 1000;

/**
 * A wire expiry as the whole seconds storage keeps: rounded up, so an expiry checked to lie
 * after now still does once stored.
 */
export const expiryToSeconds = (ms: number): number => Math.ceil(ms / 1000);
