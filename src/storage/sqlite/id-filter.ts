/**
 * Which hashed ids may have reports in each storage bucket (day), so that an owner's query
 * seeks only the (bucket, id) pairs that can hold reports instead of every bucket of its window
 * for every id (see BENCHMARKS.md). A false positive costs one empty seek; there are no false
 * negatives, and a bucket still being indexed answers "maybe" for every id.
 *
 * Layout: one blocked Bloom filter per group of 8 consecutive buckets, whose entries are bytes
 * with one bit per bucket of the group. Every probe of an id lands in one 64-byte block (one
 * cache line), and one pass over its probes answers for all 8 days at once, so a week's query
 * costs about two cache misses per id instead of one per id and day. Hashed ids are SHA-256
 * outputs, so their own bytes serve as the hash values.
 */

/** Buckets per group: one bit each in an entry. */
const GROUP_BUCKETS = 8;
/**
 * Entries (bytes) per group: 16 MiB, 32 MiB for the 9 buckets a 7-day retention keeps; sized so
 * that false positives stay rare up to about a million ids a day (rates in BENCHMARKS.md).
 */
const GROUP_ENTRIES = 1 << 24;
/** Entries per block: a cache line. */
const BLOCK_ENTRIES = 64;
const PROBES = 6;

/** Where an id's block starts: 18 bits of the id's first word pick one of the 2¹⁸ blocks. */
function blockOf(hashedId: Uint8Array): number {
  return (((hashedId[1]! & 0x03) << 16) | (hashedId[2]! << 8) | hashedId[3]!) * BLOCK_ENTRIES;
}

/** Probe `k`'s entry within the block: one later byte of the id each. */
function probeOf(hashedId: Uint8Array, k: number): number {
  return hashedId[8 + k]! & (BLOCK_ENTRIES - 1);
}

/** The group's bits that every probe of the id has set: the group's buckets that may hold it. */
function maskOf(entries: Uint8Array, hashedId: Uint8Array): number {
  const block = blockOf(hashedId);
  let mask = 0xff;
  for (let k = 0; k < PROBES && mask !== 0; k++) mask &= entries[block + probeOf(hashedId, k)]!;
  return mask;
}

const groupOf = (bucket: number) => Math.floor(bucket / GROUP_BUCKETS);
const bitOf = (bucket: number) => 1 << (bucket - groupOf(bucket) * GROUP_BUCKETS);

export class BucketIdFilter {
  readonly #groups = new Map<number, Uint8Array>();
  readonly #unindexed = new Set<number>();
  /** Buckets before this one have been dropped. */
  #first = -Infinity;

  /** Records that `hashedId` has a report in `bucket`. */
  add(bucket: number, hashedId: Uint8Array): void {
    let entries = this.#groups.get(groupOf(bucket));
    if (!entries) this.#groups.set(groupOf(bucket), (entries = new Uint8Array(GROUP_ENTRIES)));
    const block = blockOf(hashedId);
    const bit = bitOf(bucket);
    for (let k = 0; k < PROBES; k++) entries[block + probeOf(hashedId, k)]! |= bit;
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
    const entries = this.#groups.get(groupOf(bucket));
    return entries !== undefined && (maskOf(entries, hashedId) & bitOf(bucket)) !== 0;
  }

  /**
   * Calls `visit` with each bucket from `first` to `last`, in order, that may hold `hashedId`:
   * the same answers as {@link mightContain}, with one pass over the id's probes per group.
   */
  forEachBucketOf(hashedId: Uint8Array, first: number, last: number, visit: (bucket: number) => void): void {
    for (let group = groupOf(first); group <= groupOf(last); group++) {
      const entries = this.#groups.get(group);
      const mask = entries === undefined ? 0 : maskOf(entries, hashedId);
      const from = Math.max(first, group * GROUP_BUCKETS);
      const to = Math.min(last, group * GROUP_BUCKETS + GROUP_BUCKETS - 1);
      for (let bucket = from; bucket <= to; bucket++)
        if ((mask & bitOf(bucket)) !== 0 || this.#unindexed.has(bucket)) visit(bucket);
    }
  }

  /**
   * Calls `visit` with every bucket the filter knows that may hold `hashedId`, besides `except`:
   * where a copy of a report of that id could be stored under another day.
   */
  forEachOtherBucketOf(hashedId: Uint8Array, except: number, visit: (bucket: number) => void): void {
    for (const [group, entries] of this.#groups) {
      const mask = maskOf(entries, hashedId);
      for (let bit = 0; bit < GROUP_BUCKETS; bit++) {
        const bucket = group * GROUP_BUCKETS + bit;
        if ((mask & (1 << bit)) !== 0 && bucket !== except && !this.#unindexed.has(bucket)) visit(bucket);
      }
    }
    for (const bucket of this.#unindexed) if (bucket !== except) visit(bucket);
  }

  /** Forgets the buckets before `bucket` (they were pruned). */
  dropBefore(bucket: number): void {
    for (const b of this.#unindexed) if (b < bucket) this.#unindexed.delete(b);
    if (bucket <= this.#first) return;
    this.#first = bucket;
    for (const group of this.#groups.keys()) if (group < groupOf(bucket)) this.#groups.delete(group);
    // The group the cut falls in keeps its later buckets: clear the earlier ones' bits (once a day).
    const entries = this.#groups.get(groupOf(bucket));
    const keep = 0xff & ~(bitOf(bucket) - 1);
    if (entries && keep !== 0xff) for (let i = 0; i < entries.length; i++) entries[i]! &= keep;
  }
}
