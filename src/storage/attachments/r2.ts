/**
 * Attachment chunks in R2 (Workers): one object per chunk under `<mailbox>/<attachment>/<index>`,
 * its expiry in the object's metadata. The quota is counted by listing the mailbox's prefix
 * before the put, so two uploads racing for the last places may both land (as with D1's per-id
 * cap); the cron prunes expired chunks.
 */
import { bytesToHex } from '../../../crypto/index.ts';
import { StoreUnavailableError } from '../store.ts';
import type { AttachmentStore, ChunkAddress } from './store.ts';

const keyOf = ({ mailbox, attachment, index }: ChunkAddress) =>
  `${bytesToHex(mailbox)}/${bytesToHex(attachment)}/${index}`;

/** @example new R2AttachmentStore(env.ATTACHMENTS) */
export class R2AttachmentStore implements AttachmentStore {
  readonly #bucket: R2Bucket;

  constructor(bucket: R2Bucket) {
    this.#bucket = bucket;
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new StoreUnavailableError(`R2 failed: ${(error as Error).message}`);
    }
  }

  async put(address: ChunkAddress, chunk: Uint8Array, expiresAt: number, quota: number): Promise<boolean> {
    const key = keyOf(address);
    return this.#run(async () => {
      const listed = await this.#bucket.list({ prefix: `${bytesToHex(address.mailbox)}/`, limit: quota + 1 });
      const others = listed.objects.filter((object) => object.key !== key).length;
      if (others >= quota) return false;
      await this.#bucket.put(key, chunk, { customMetadata: { expiresAt: String(expiresAt) } });
      return true;
    });
  }

  async get(address: ChunkAddress, now: number): Promise<Uint8Array | undefined> {
    return this.#run(async () => {
      const object = await this.#bucket.get(keyOf(address));
      if (!object || Number(object.customMetadata?.expiresAt ?? 0) <= now) return undefined;
      return new Uint8Array(await object.arrayBuffer());
    });
  }

  async prune(now: number): Promise<number> {
    return this.#run(async () => {
      let removed = 0;
      let cursor: string | undefined;
      do {
        // Asked for explicitly: a list leaves custom metadata out otherwise (the types here predate the option).
        const page = await this.#bucket.list({
          include: ['customMetadata'],
          ...(cursor ? { cursor } : {}),
        } as R2ListOptions);
        const expired = page.objects.filter((o) => Number(o.customMetadata?.expiresAt ?? 0) <= now).map((o) => o.key);
        if (expired.length > 0) await this.#bucket.delete(expired);
        removed += expired.length;
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return removed;
    });
  }
}
