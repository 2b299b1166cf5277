/** The channel's mailbox contract, run by contractSuite against every runtime. */
import { describe, expect, it } from 'vitest';
import { bytesToBase64 } from '../../crypto/index.ts';
import { ATTACHMENT_CHUNK_BYTES, MAX_MAILBOX_MESSAGES } from '../../src/contract/limits.ts';
import type { SuiteTools } from './suite.ts';

export function mailboxSuite({ postJson, expectProblem }: SuiteTools): void {
  const capability = () => bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
  const sealed = (length = 300) => bytesToBase64(crypto.getRandomValues(new Uint8Array(length)));

  describe('mailboxes', () => {
    it('files messages in order under the capability, and only its holder reads them', async () => {
      const mine = capability();
      for (let i = 0; i < 3; i++)
        expect((await postJson('/v1/mailboxes/messages', { capability: mine, message: sealed() })).status).toBe(201);
      const read = (await (await postJson('/v1/mailboxes/messages/read', { capability: mine, after: 1 })).json()) as {
        messages: Array<{ seq: number }>;
      };
      expect(read.messages.map((m) => m.seq)).toEqual([2, 3]);
      const other = (await (await postJson('/v1/mailboxes/messages/read', { capability: capability() })).json()) as {
        messages: unknown[];
      };
      expect(other.messages).toEqual([]);
    });

    it('refuses a full mailbox with 429 and stores nothing more', async () => {
      const full = capability();
      for (let i = 0; i < MAX_MAILBOX_MESSAGES; i++)
        await postJson('/v1/mailboxes/messages', { capability: full, message: sealed(48) });
      await expectProblem(await postJson('/v1/mailboxes/messages', { capability: full, message: sealed(48) }), 429);
      const read = (await (
        await postJson('/v1/mailboxes/messages/read', { capability: full, after: MAX_MAILBOX_MESSAGES - 1 })
      ).json()) as {
        messages: Array<{ seq: number }>;
      };
      expect(read.messages.map((m) => m.seq)).toEqual([MAX_MAILBOX_MESSAGES]);
    });

    it('keeps whole chunks of exactly one size, and refuses others with nothing stored', async () => {
      const mine = capability();
      const attachment = bytesToBase64(crypto.getRandomValues(new Uint8Array(16)));
      const chunk = (length: number) => bytesToBase64(new Uint8Array(length).fill(7));
      expect(
        (
          await postJson('/v1/mailboxes/attachments', {
            capability: mine,
            attachment,
            index: 0,
            chunk: chunk(ATTACHMENT_CHUNK_BYTES),
          })
        ).status,
      ).toBe(201);
      await expectProblem(
        await postJson('/v1/mailboxes/attachments', { capability: mine, attachment, index: 1, chunk: chunk(1000) }),
        400,
      );
      await expectProblem(
        await postJson('/v1/mailboxes/attachments', {
          capability: mine,
          attachment,
          index: 160,
          chunk: chunk(ATTACHMENT_CHUNK_BYTES),
        }),
        400,
      );
      const first = await postJson('/v1/mailboxes/attachments/read', { capability: mine, attachment, index: 0 });
      expect(first.headers.get('content-type')).toBe('application/octet-stream');
      expect((await first.arrayBuffer()).byteLength).toBe(ATTACHMENT_CHUNK_BYTES);
      await expectProblem(
        await postJson('/v1/mailboxes/attachments/read', { capability: mine, attachment, index: 1 }),
        404,
      );
      await expectProblem(
        await postJson('/v1/mailboxes/attachments/read', { capability: capability(), attachment, index: 0 }),
        404,
      );
    });

    it('refuses malformed requests with problem+json naming the field', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        ['/v1/mailboxes/messages', { capability: 'AAAA', message: sealed() }, /capability/],
        ['/v1/mailboxes/messages', { capability: capability(), message: sealed(9000) }, /message/],
        ['/v1/mailboxes/messages/read', { capability: capability(), waitSeconds: 26 }, /waitSeconds/],
        ['/v1/mailboxes/states', { states: [] }, /states/],
        [
          '/v1/mailboxes/states',
          { states: [{ capability: capability(), statement: sealed(), expiresAt: 1 }] },
          /expiresAt/,
        ],
        ['/v1/mailboxes/states/read', {}, /capability/],
      ];
      for (const [path, body, detail] of cases)
        expect((await expectProblem(await postJson(path, body), 400)).detail, path).toMatch(detail);
    });
  });
}
