/**
 * The owner's question for any accessory: which keys may it have broadcast between two times?
 * Answered for AirTag-style rolling accessories (docs/protocol.md §7.3–7.5) and for fixed key lists
 * (a static key pair, macless-haystack `additionalKeys`, FindMy.py custom rolling keys).
 */
import { bytesToBase64 } from './bytes.ts';
import { FormatError } from './errors.ts';
import { nobleP224, type P224Engine } from './engine.ts';
import { keyPairsOf, type KeyPair } from './keys.ts';
import { scalarFromBytes, scalarToBytes } from './p224.ts';
import { rollingPrivateScalar, SecretChain } from './rolling-keys.ts';

/** A primary key is broadcast for 15 minutes. */
export const PRIMARY_PERIOD_MS = 15 * 60 * 1000;
/** The primary index an accessory broadcasts during its first 15 minutes after pairing. */
export const PAIRING_INDEX = 1;
/** A secondary key lasts a day: 96 primary periods. */
export const PRIMARY_KEYS_PER_SECONDARY = 96;

/** A separated accessory moves to its next secondary key at 04:00 (local time; UTC here). */
const SECONDARY_SWITCH_HOUR_UTC = 4;

/** Where a key comes from: a rolling chain or a fixed list. */
export type KeyKind = 'primary' | 'secondary' | 'fixed';

/** One key an owner must query, with the span of time it may have been broadcast in. */
export interface KeyCandidate extends KeyPair {
  readonly kind: KeyKind;
  /** Chain index for rolling keys; position in the list for fixed keys. */
  readonly index: number;
  /** The hashed id as the API spells it. */
  readonly hashedIdBase64: string;
  /** Start of the span the key may have been broadcast in (inclusive). */
  readonly from: Date;
  /** End of that span (exclusive). */
  readonly until: Date;
}

/** Anything an owner can look up reports for. */
export interface Accessory {
  /**
   * Every key the accessory may have broadcast in [from, until], each with its own span,
   * derived with `engine` (the noble reference by default).
   * @example accessory.candidateKeys(new Date(Date.now() - 7 * 86_400_000), new Date(), engine)
   */
  candidateKeys(from: Date, until: Date, engine?: P224Engine): KeyCandidate[];
}

/** A point where the accessory's counter was seen: at `date` it broadcast primary key `index`. */
export interface KeyAlignment {
  readonly date: Date;
  readonly index: number;
}

/** What an owner holds for an AirTag-style accessory (FindMy.py's `accessory` JSON, docs/protocol.md §7.1). */
export interface RollingAccessoryKeys {
  /** d₀, 28 bytes. */
  readonly masterKey: Uint8Array;
  /** SKN, 32 bytes. */
  readonly primarySecret: Uint8Array;
  /** SKS, 32 bytes. */
  readonly secondarySecret: Uint8Array;
  readonly pairedAt: Date;
  /**
   * The latest observed counter position; by default the pairing itself, where the accessory
   * starts on index 1 (accessory spec; FindMy.py counts the same instant as 0).
   */
  readonly alignment?: KeyAlignment;
}

/**
 * An AirTag-style accessory: a primary key every 15 minutes, a secondary key every day.
 * @example new RollingAccessory({ masterKey, primarySecret, secondarySecret, pairedAt }).candidateKeys(from, until)
 */
export class RollingAccessory implements Accessory {
  readonly #masterScalar: bigint;
  readonly #alignment: KeyAlignment;
  readonly #primary: SecretChain;
  readonly #secondary: SecretChain;

  constructor(keys: RollingAccessoryKeys) {
    this.#masterScalar = scalarFromBytes(keys.masterKey);
    this.#primary = new SecretChain(keys.primarySecret);
    this.#secondary = new SecretChain(keys.secondarySecret);
    this.#alignment = keys.alignment ?? { date: keys.pairedAt, index: PAIRING_INDEX };
    if (!Number.isSafeInteger(this.#alignment.index) || this.#alignment.index < 0) {
      throw new FormatError('an alignment index is a non-negative integer');
    }
    if (Number.isNaN(this.#alignment.date.getTime())) throw new FormatError('the alignment date is not a valid date');
  }

  /**
   * The primary index in force at `time` by the clock: alignment index + whole 15-minute
   * periods since the alignment date (never below 0).
   * @example accessory.primaryIndexAt(pairedAt) // 1
   */
  primaryIndexAt(time: Date): number {
    const periods = Math.floor((time.getTime() - this.#alignment.date.getTime()) / PRIMARY_PERIOD_MS);
    return Math.max(0, this.#alignment.index + periods);
  }

  /**
   * Which key a separated accessory broadcasts at `time` (docs/protocol.md §7.5): its primary key until
   * the first 04:00 after separation, then the secondary key ⌊i/96⌋+1 of the primary index i
   * in force. Times are UTC, standing in for the accessory's local time. Real tags differ in
   * when j advances (hence the owner's +2 candidate); this is the spec's rule after a power cycle.
   * @example const { kind, index } = accessory.broadcastIndexAt(new Date(), separatedAt);
   */
  broadcastIndexAt(time: Date, separatedAt: Date): { kind: 'primary' | 'secondary'; index: number } {
    const firstSwitch = new Date(separatedAt);
    firstSwitch.setUTCHours(SECONDARY_SWITCH_HOUR_UTC, 0, 0, 0);
    if (firstSwitch <= separatedAt) firstSwitch.setUTCDate(firstSwitch.getUTCDate() + 1);
    const index = this.primaryIndexAt(time);
    return time < firstSwitch
      ? { kind: 'primary', index }
      : { kind: 'secondary', index: secondaryIndexesFor(index)[0] };
  }

  /** The primary key pair of index i. */
  primaryKey(index: number, engine: P224Engine = nobleP224): KeyPair {
    return this.#keys(this.#primary, index, index, engine)[0]!;
  }

  /** The secondary key pair of index j. */
  secondaryKey(index: number, engine: P224Engine = nobleP224): KeyPair {
    return this.#keys(this.#secondary, index, index, engine)[0]!;
  }

  /**
   * Primary indices from one below the clock's index at `from` to one above the one at
   * `until`, covering FindMy.py's one-lower count and a period boundary on either side
   * (docs/protocol.md §7.4); then the secondary indices ⌊i/96⌋+1 and ⌊i/96⌋+2 of each (docs/protocol.md §7.5).
   */
  candidateKeys(from: Date, until: Date, engine: P224Engine = nobleP224): KeyCandidate[] {
    const firstPrimary = Math.max(0, this.primaryIndexAt(from) - 1);
    const lastPrimary = this.primaryIndexAt(until) + 1;
    const primary = this.#keys(this.#primary, firstPrimary, lastPrimary, engine).map((pair, k) =>
      candidate(pair, 'primary', firstPrimary + k, this.#primarySpan(firstPrimary + k)),
    );
    const firstSecondary = secondaryIndexesFor(firstPrimary)[0];
    const lastSecondary = secondaryIndexesFor(lastPrimary)[1];
    const secondary = this.#keys(this.#secondary, firstSecondary, lastSecondary, engine).map((pair, k) => {
      const j = firstSecondary + k;
      const start = this.#primarySpan(Math.max(0, PRIMARY_KEYS_PER_SECONDARY * (j - 2)))[0];
      const end = this.#primarySpan(PRIMARY_KEYS_PER_SECONDARY * j - 1)[1];
      return candidate(pair, 'secondary', j, [start, end]);
    });
    return [...primary, ...secondary];
  }

  /** Key i is in force for one period by the clock; one period of slack either side. */
  #primarySpan(index: number): [Date, Date] {
    const start = this.#alignment.date.getTime() + (index - this.#alignment.index - 1) * PRIMARY_PERIOD_MS;
    return [new Date(start), new Date(start + 3 * PRIMARY_PERIOD_MS)];
  }

  #keys(chain: SecretChain, first: number, last: number, engine: P224Engine): KeyPair[] {
    const scalars = chain.secretsBetween(first, last).map((secret) => rollingPrivateScalar(this.#masterScalar, secret));
    return keyPairsOf(scalars.map(scalarToBytes), engine);
  }
}

/**
 * The secondary keys a separated accessory may broadcast while on primary index i:
 * ⌊i/96⌋+1 by the accessory spec, and ⌊i/96⌋+2 for a 04:00 switch on the next index day.
 * @example secondaryIndexesFor(96) // [2, 3]
 */
export function secondaryIndexesFor(primaryIndex: number): [number, number] {
  const j = Math.floor(primaryIndex / PRIMARY_KEYS_PER_SECONDARY) + 1;
  return [j, j + 1];
}

/**
 * A fixed list of keys used in turn on no schedule the owner knows: every key is a candidate
 * for the whole window. A static key pair is a list of one.
 * @example new FixedKeyAccessory([privateKey]).candidateKeys(from, until)
 */
export class FixedKeyAccessory implements Accessory {
  readonly #privateKeys: readonly Uint8Array[];

  constructor(privateKeys: readonly Uint8Array[]) {
    if (privateKeys.length === 0) throw new FormatError('an accessory needs at least one key');
    privateKeys.forEach(scalarFromBytes);
    this.#privateKeys = privateKeys;
  }

  candidateKeys(from: Date, until: Date, engine: P224Engine = nobleP224): KeyCandidate[] {
    return keyPairsOf(this.#privateKeys, engine).map((pair, index) => candidate(pair, 'fixed', index, [from, until]));
  }
}

function candidate(pair: KeyPair, kind: KeyKind, index: number, [from, until]: [Date, Date]): KeyCandidate {
  return { ...pair, kind, index, hashedIdBase64: bytesToBase64(pair.hashedId), from, until };
}
