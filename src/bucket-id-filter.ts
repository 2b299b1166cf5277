/**
 * Which hashed ids may have reports in each storage bucket: one Bloom filter per bucket, so
 * an owner's query seeks only the (bucket, id) pairs that can hold reports instead of every
 * bucket of its window for every id (see BENCHMARKS.md). Hashed ids are SHA-256 outputs, so
 * their own bytes serve as the filter's hash values. A false positive costs one empty seek;
 * there are no false negatives, and a bucket still being indexed answers "maybe" for all.
 */

/** 2²⁴ bits (2 MiB) per bucket: under 1 % false positives up to ~1.5M ids in a bucket. {@link probe} reads 24 bits. */
const FILTER_BITS = 1 << 24;
const PROBES = 6;

/**
 * The filter bit of probe `k`: the low 24 bits of the id's k-th big-endian 32-bit word, read
 * from the bytes directly (an owner query probes thousands of times; a DataView each costs).
 */
function probe(hashedId: Uint8Array, k: number): number {
  return (hashedId[4 * k + 1]! << 16) | (hashedId[4 * k + 2]! << 8) | hashedId[4 * k + 3]!;
}

export class BucketIdFilter {
  readonly #filters = new Map<number, Uint32Array>();
  readonly #unindexed = new Set<number>();

  /** Records that `hashedId` has a report in `bucket`. */
  add(bucket: number, hashedId: Uint8Array): void {
    let filter = this.#filters.get(bucket);
    if (!filter) this.#filters.set(bucket, (filter = new Uint32Array(FILTER_BITS / 32)));
    for (let k = 0; k < PROBES; k++) {
      const bit = probe(hashedId, k);
      filter[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** Marks a bucket that holds ids not yet added (stored before this process started). */
  markUnindexed(bucket: number): void {
    this.#unindexed.add(bucket);
  }

  /** Marks a bucket whose stored ids have all been added: from now on its "no" is trusted. */
  markIndexed(bucket: number): void {
    this.#unindexed.delete(bucket);
  }

  /** False only when `hashedId` certainly has no report in `bucket`. */
  mightContain(bucket: number, hashedId: Uint8Array): boolean {
    if (this.#unindexed.has(bucket)) return true;
    const filter = this.#filters.get(bucket);
    if (!filter) return false;
    for (let k = 0; k < PROBES; k++) {
      const bit = probe(hashedId, k);
      if ((filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  /** Forgets the buckets before `bucket` (they were pruned). */
  dropBefore(bucket: number): void {
    for (const b of this.#filters.keys()) if (b < bucket) this.#filters.delete(b);
    for (const b of this.#unindexed) if (b < bucket) this.#unindexed.delete(b);
  }
}
