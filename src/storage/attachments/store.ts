/**
 * Where the channel's attachment chunks live: the interface both runtimes implement, in the
 * SQLite file on Node (sql.ts) and in R2 on Workers (r2.ts). Chunks are ciphertext of a fixed
 * size; a chunk that would pass the mailbox's quota is refused whole.
 */

export interface ChunkAddress {
  /** SHA-256 of the mailbox capability. */
  readonly mailbox: Uint8Array;
  /** 16 bytes the device chose. */
  readonly attachment: Uint8Array;
  readonly index: number;
}

export interface AttachmentStore {
  /**
   * Stores a chunk (replacing the same one posted again); false, storing nothing, when the
   * mailbox already holds `quota` chunks.
   */
  put(address: ChunkAddress, chunk: Uint8Array, expiresAt: number, quota: number): Promise<boolean>;
  get(address: ChunkAddress, now: number): Promise<Uint8Array | undefined>;
  /** Deletes expired chunks; returns how many. */
  prune(now: number): Promise<number>;
}
