/**
 * The AirTag key schedule's derivation (docs/protocol.md §7.2): a secret chain stepped with "update",
 * diversified into (u, v), giving dᵢ = d₀·uᵢ + vᵢ mod n and Pᵢ = uᵢ·P₀ + vᵢ·G.
 */
import { bytesToBigInt, expectLength } from './bytes.ts';
import { x963Kdf } from './kdf.ts';
import { CURVE_ORDER, P224, type Point } from './p224.ts';

/** SKN, SKS and every SKᵢ. */
export const SECRET_LENGTH = 32;

const UPDATE = new TextEncoder().encode('update');
const DIVERSIFY = new TextEncoder().encode('diversify');
const DIVERSIFIED_LENGTH = 72;
const HALF = DIVERSIFIED_LENGTH / 2;
/** How often the chain keeps a secret so that a later lookup need not walk from index 0. */
const CHECKPOINT_EVERY = 96;

/** SKᵢ₊₁ = KDF(SKᵢ, "update", 32). @example nextSecret(skn) // SK₁ */
export function nextSecret(secret: Uint8Array): Uint8Array {
  return x963Kdf(expectLength(secret, SECRET_LENGTH, 'rolling secret'), UPDATE, SECRET_LENGTH);
}

/**
 * (uᵢ, vᵢ) from SKᵢ: each half of KDF(SKᵢ, "diversify", 72) reduced mod (n − 1), plus one.
 * Mod (n − 1) + 1, not mod n: the rule four independent implementations and real AirTags agree on.
 */
export function diversify(secret: Uint8Array): { u: bigint; v: bigint } {
  const at = x963Kdf(expectLength(secret, SECRET_LENGTH, 'rolling secret'), DIVERSIFY, DIVERSIFIED_LENGTH);
  return {
    u: (bytesToBigInt(at.subarray(0, HALF)) % (CURVE_ORDER - 1n)) + 1n,
    v: (bytesToBigInt(at.subarray(HALF)) % (CURVE_ORDER - 1n)) + 1n,
  };
}

/** The owner's form: dᵢ = d₀·uᵢ + vᵢ mod n. @example rollingPrivateScalar(d0, secretAt(5)) */
export function rollingPrivateScalar(masterScalar: bigint, secret: Uint8Array): bigint {
  const { u, v } = diversify(secret);
  return (masterScalar * u + v) % CURVE_ORDER;
}

/** The accessory's form, without the private key: Pᵢ = uᵢ·P₀ + vᵢ·G. */
export function rollingPublicPoint(masterPublicKey: Point, secret: Uint8Array): Point {
  const { u, v } = diversify(secret);
  return masterPublicKey.multiply(u).add(P224.BASE.multiply(v));
}

/**
 * SKᵢ by index for one chain (primary from SKN, secondary from SKS). Remembers a secret every
 * 96 steps, so looking up a week of indices walks each step once.
 * @example const chain = new SecretChain(skn); chain.secretAt(672)
 */
export class SecretChain {
  readonly #checkpoints: Uint8Array[];

  constructor(initialSecret: Uint8Array) {
    this.#checkpoints = [expectLength(initialSecret, SECRET_LENGTH, 'rolling secret').slice()];
  }

  /** SKᵢ; index 0 is the initial secret itself. */
  secretAt(index: number): Uint8Array {
    if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('a key index is a non-negative integer');
    const wanted = Math.floor(index / CHECKPOINT_EVERY);
    const checkpoint = Math.min(wanted, this.#checkpoints.length - 1);
    let secret = this.#checkpoints[checkpoint]!;
    for (let i = checkpoint * CHECKPOINT_EVERY; i < index;) {
      secret = nextSecret(secret);
      i++;
      if (i % CHECKPOINT_EVERY === 0 && i / CHECKPOINT_EVERY === this.#checkpoints.length)
        this.#checkpoints.push(secret);
    }
    return secret;
  }

  /** SKᵢ for every i in [first, last], walking the chain once. */
  secretsBetween(first: number, last: number): Uint8Array[] {
    if (last < first) return [];
    const secrets = [this.secretAt(first)];
    for (let i = first; i < last; i++) secrets.push(nextSecret(secrets[secrets.length - 1]!));
    return secrets;
  }
}
