/** What every attachment store must do, run on the SQLite file and on R2 in workerd. */
import { describe, expect, it } from 'vitest';
import type { AttachmentStore } from '../../src/storage/attachments/store.ts';

export function attachmentStoreSuite(name: string, make: () => AttachmentStore): void {
  describe(`attachment chunks in ${name}`, () => {
    const mailbox = crypto.getRandomValues(new Uint8Array(32));
    const attachment = crypto.getRandomValues(new Uint8Array(16));
    const chunk = (fill: number) => new Uint8Array(64).fill(fill);

    it('refuses a chunk past the mailbox quota whole, still takes a chunk again, and expires them', async () => {
      const store = make();
      const at = (index: number) => ({ mailbox, attachment, index });
      expect(await store.put(at(0), chunk(1), 2000, 2)).toBe(true);
      expect(await store.put(at(1), chunk(2), 2000, 2)).toBe(true);
      expect(await store.put(at(2), chunk(3), 2000, 2)).toBe(false);
      expect(await store.get(at(2), 1000)).toBeUndefined();
      expect(await store.put(at(1), chunk(9), 2000, 2)).toBe(true);
      expect(new Uint8Array((await store.get(at(1), 1000))!)).toEqual(chunk(9));
      expect(await store.get(at(0), 2000)).toBeUndefined();
      expect(await store.prune(2000)).toBe(2);
      expect(await store.get(at(0), 1000)).toBeUndefined();
    });
  });
}
