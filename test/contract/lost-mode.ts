/**
 * The lost-mode contract, run by contractSuite against every runtime: notices (a few per id, each
 * under its own withdraw hash; withdrawal by token, which stays a withdrawal; expiry) and notify-when-found (a report of a watched id arrives as a
 * Server-Sent Event, still sealed).
 */
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  generatePrivateKey,
  keyPairOf,
  NOTICE_LENGTH,
  openNotice,
  openReport,
  parseContact,
  sealNotice,
  withdrawHashOf,
  withdrawTokenOf,
} from '../../crypto/index.ts';
import { MAX_LIVE_NOTICES_PER_ID } from '../../src/contract/limits.ts';
import { eventReader } from './event-stream.ts';
import { jsonUpload, sealFor } from './fixtures.ts';
import type { SuiteTools } from './suite.ts';

const DAY_S = 86_400;

export function lostModeSuite({ target, postJson, expectProblem, nowMs }: SuiteTools): void {
  const owner = () => keyPairOf(generatePrivateKey());
  /** The notice binds `expiresAt` in Unix seconds; the body says it in ms (src/contract/times.ts). */
  const noticeItem = (key: ReturnType<typeof owner>, message: string, expiresAt: number) => ({
    id: bytesToBase64(key.hashedId),
    notice: bytesToBase64(sealNotice(key.privateKey, { message, contact: parseContact('+15550100'), expiresAt })),
    expiresAt: expiresAt * 1000,
    withdrawHash: bytesToBase64(withdrawHashOf(withdrawTokenOf(key.privateKey))),
  });
  /** A stranger's notice for an id: bytes that are no notice of its key, under the stranger's withdraw hash. */
  const strangerItem = (id: string, expiresAt: number) => ({
    id,
    notice: bytesToBase64(crypto.getRandomValues(new Uint8Array(NOTICE_LENGTH))),
    expiresAt: expiresAt * 1000,
    withdrawHash: bytesToBase64(withdrawHashOf(withdrawTokenOf(generatePrivateKey()))),
  });
  /** The messages of the notices that verify under the key, as a finder reads them. */
  const verifying = (key: ReturnType<typeof owner>, found: Array<{ notice: string; expiresAt: number }>) =>
    found.flatMap((n) => {
      try {
        return [openNotice(key.advertisementKey, base64ToBytes(n.notice), n.expiresAt / 1000).message];
      } catch {
        return [];
      }
    });
  const findNotices = async (ids: string[]) => {
    const response = await postJson('/v1/notices/query', { ids });
    expect(response.status, await response.clone().text()).toBe(200);
    return ((await response.json()) as { notices: Array<{ id: string; notice: string; expiresAt: number }> }).notices;
  };

  describe('lost-mode notices', () => {
    it('a finder who knows the advertisement key reads the owner’s notice; the server kept only ciphertext', async () => {
      const key = owner();
      const expiresAt = Math.floor(nowMs() / 1000) + 7 * DAY_S;
      const published = await postJson('/v1/notices', {
        notices: [noticeItem(key, 'My bike bag. Please call.', expiresAt)],
      });
      expect(published.status).toBe(200);
      expect(await published.json()).toEqual({
        published: [bytesToBase64(key.hashedId)],
        alreadyPublished: [],
        refused: [],
      });
      const [found] = await findNotices([bytesToBase64(key.hashedId)]);
      expect(found!.expiresAt).toBe(expiresAt * 1000);
      expect(base64ToBytes(found!.notice).length).toBe(NOTICE_LENGTH);
      const opened = openNotice(key.advertisementKey, base64ToBytes(found!.notice), found!.expiresAt / 1000);
      expect(opened.message).toBe('My bike bag. Please call.');
      expect(opened.contact).toEqual({ kind: 'phone', value: '+15550100' });
    });

    it('keeps the owner’s live notice when the owner publishes again under the same withdraw hash', async () => {
      const key = owner();
      const expiresAt = Math.floor(nowMs() / 1000) + DAY_S;
      await postJson('/v1/notices', { notices: [noticeItem(key, 'first', expiresAt)] });
      const second = await postJson('/v1/notices', { notices: [noticeItem(key, 'second', expiresAt)] });
      expect(await second.json()).toEqual({
        published: [],
        alreadyPublished: [bytesToBase64(key.hashedId)],
        refused: [],
      });
      const found = await findNotices([bytesToBase64(key.hashedId)]);
      expect(found.map((n) => openNotice(key.advertisementKey, base64ToBytes(n.notice), expiresAt).message)).toEqual([
        'first',
      ]);
    });

    it('lets the owner’s notice in beside a stranger’s who published first; the finder keeps the one that verifies', async () => {
      const key = owner();
      const id = bytesToBase64(key.hashedId);
      const expiresAt = Math.floor(nowMs() / 1000) + 31 * DAY_S - 60;
      // A stranger who heard the item knows the id, not the private key: random bytes, own withdraw hash.
      const squat = await postJson('/v1/notices', { notices: [strangerItem(id, expiresAt)] });
      expect(await squat.json()).toEqual({ published: [id], alreadyPublished: [], refused: [] });
      const mine = await postJson('/v1/notices', { notices: [noticeItem(key, 'the owner’s', expiresAt)] });
      expect(await mine.json()).toEqual({ published: [id], alreadyPublished: [], refused: [] });
      const found = await findNotices([id]);
      expect(found).toHaveLength(2);
      expect(verifying(key, found)).toEqual(['the owner’s']);
      const token = bytesToBase64(withdrawTokenOf(key.privateKey));
      const withdrawn = await postJson('/v1/notices/withdraw', { notices: [{ id, token }] });
      expect(await withdrawn.json()).toEqual({ withdrawn: [id], unmatched: [] });
      expect(verifying(key, await findNotices([id]))).toEqual([]);
    });

    it(`tells the owner a notice did not take when strangers filled the id’s ${MAX_LIVE_NOTICES_PER_ID} live notices`, async () => {
      const key = owner();
      const id = bytesToBase64(key.hashedId);
      const expiresAt = Math.floor(nowMs() / 1000) + DAY_S;
      for (let i = 0; i < MAX_LIVE_NOTICES_PER_ID; i++)
        await postJson('/v1/notices', { notices: [strangerItem(id, expiresAt)] });
      const mine = await postJson('/v1/notices', { notices: [noticeItem(key, 'too late', expiresAt)] });
      expect(await mine.json()).toEqual({ published: [], alreadyPublished: [], refused: [{ id, reason: 'full' }] });
      expect(await findNotices([id])).toHaveLength(MAX_LIVE_NOTICES_PER_ID);
    });

    it('keeps a withdrawal: the withdrawn bytes, republished under another withdraw hash, are refused', async () => {
      const key = owner();
      const id = bytesToBase64(key.hashedId);
      const expiresAt = Math.floor(nowMs() / 1000) + 31 * DAY_S - 60;
      await postJson('/v1/notices', { notices: [noticeItem(key, 'call me', expiresAt)] });
      // Anyone may fetch the live notice: only the hashed id is needed.
      const [fetched] = await findNotices([id]);
      const replay = {
        ...fetched!,
        withdrawHash: bytesToBase64(withdrawHashOf(withdrawTokenOf(generatePrivateKey()))),
      };
      // A copy published beside the live one would outlive its withdrawal: refused too.
      const beside = await postJson('/v1/notices', { notices: [replay] });
      expect(await beside.json()).toEqual({
        published: [],
        alreadyPublished: [],
        refused: [{ id, reason: 'replayed' }],
      });
      const token = bytesToBase64(withdrawTokenOf(key.privateKey));
      expect((await postJson('/v1/notices/withdraw', { notices: [{ id, token }] })).status).toBe(200);
      const again = await postJson('/v1/notices', { notices: [replay] });
      expect(await again.json()).toEqual({
        published: [],
        alreadyPublished: [],
        refused: [{ id, reason: 'replayed' }],
      });
      expect(await findNotices([id])).toEqual([]);
      // The owner may still mark the item lost again: a new notice has new bytes.
      const anew = await postJson('/v1/notices', { notices: [noticeItem(key, 'lost again', expiresAt)] });
      expect(await anew.json()).toEqual({ published: [id], alreadyPublished: [], refused: [] });
      expect(verifying(key, await findNotices([id]))).toEqual(['lost again']);
    });

    it('withdraws only with the token: a wrong token is refused and changes nothing', async () => {
      const key = owner();
      const id = bytesToBase64(key.hashedId);
      await postJson('/v1/notices', { notices: [noticeItem(key, 'withdraw me', Math.floor(nowMs() / 1000) + DAY_S)] });
      const wrong = bytesToBase64(withdrawTokenOf(generatePrivateKey()));
      await expectProblem(await postJson('/v1/notices/withdraw', { notices: [{ id, token: wrong }] }), 403);
      expect(await findNotices([id])).toHaveLength(1);
      const right = bytesToBase64(withdrawTokenOf(key.privateKey));
      const withdrawn = await postJson('/v1/notices/withdraw', { notices: [{ id, token: right }] });
      expect(await withdrawn.json()).toEqual({ withdrawn: [id], unmatched: [] });
      expect(await findNotices([id])).toEqual([]);
    });

    it('stops serving a notice when it expires, prunes it, and takes a new one for the id', async () => {
      const key = owner();
      const id = bytesToBase64(key.hashedId);
      const expiresAt = Math.floor(nowMs() / 1000) + 3600;
      await postJson('/v1/notices', { notices: [noticeItem(key, 'short-lived', expiresAt)] });
      const t = target();
      t.setNow((expiresAt + 1) * 1000);
      expect(await findNotices([id])).toEqual([]);
      await t.prune();
      const again = await postJson('/v1/notices', { notices: [noticeItem(key, 'again', expiresAt + DAY_S)] });
      expect(await again.json()).toEqual({ published: [id], alreadyPublished: [], refused: [] });
    });

    it('refuses malformed notices with problem+json naming the field', async () => {
      const key = owner();
      const now = Math.floor(nowMs() / 1000);
      const good = noticeItem(key, 'x', now + DAY_S);
      const cases: Array<[unknown, RegExp]> = [
        [{ notices: [] }, /notices/],
        [{ notices: [{ ...good, notice: bytesToBase64(new Uint8Array(NOTICE_LENGTH - 1)) }] }, /notice is 356 bytes/],
        [{ notices: [{ ...good, withdrawHash: 'AAAA' }] }, /withdrawHash/],
        [{ notices: [{ ...good, expiresAt: (now - 1) * 1000 }] }, /expiresAt/],
        [{ notices: [{ ...good, expiresAt: (now + 32 * DAY_S) * 1000 }] }, /expiresAt/],
        // Not a whole second: it cannot be the expiry the notice binds.
        [{ notices: [{ ...good, expiresAt: good.expiresAt + 1 }] }, /expiresAt.*whole second/],
        [{ notices: [{ ...good, id: 'nope' }] }, /id/],
        [{ notices: Array(701).fill(good) }, /notices/],
      ];
      for (const [body, detail] of cases) {
        expect((await expectProblem(await postJson('/v1/notices', body), 400)).detail).toMatch(detail);
      }
      await expectProblem(await postJson('/v1/notices/query', { ids: [] }), 400);
      await expectProblem(await postJson('/v1/notices/withdraw', { notices: [{ id: good.id, token: 'AA==' }] }), 400);
    });
  });

  describe('notify when found', () => {
    const subscribe = async (body: unknown) => {
      const response = await postJson('/v1/subscriptions', body);
      expect(response.status, await response.clone().text()).toBe(201);
      return (await response.json()) as { subscription: string; expiresAt: number; ids: number; events: string };
    };

    it('delivers a new report of a watched id to the event stream, sealed, and nothing for other ids', async () => {
      const key = owner();
      const other = owner();
      const sub = await subscribe({ ids: [bytesToBase64(key.hashedId)], ttlSeconds: 600 });
      expect(sub).toMatchObject({ ids: 1, events: `/v1/subscriptions/${sub.subscription}/events` });
      const stream = await target().request(sub.events);
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = eventReader(stream);
      try {
        const report = sealFor(key, nowMs() - 60_000);
        await postJson('/v1/reports', JSON.parse(jsonUpload([sealFor(other, nowMs() - 60_000), report])));
        const reportsOf = async () => {
          const event = await events.next();
          expect(event?.event).toBe('reports');
          return (JSON.parse(event!.data) as { reports: Array<{ id: string; payload: string }> }).reports;
        };
        const reports = await reportsOf();
        expect(reports.map((r) => r.id)).toEqual([report.id]);
        expect(openReport(base64ToBytes(reports[0]!.payload), key.privateKey).latitude).toBeCloseTo(48.8566, 5);
        // The same report again is a duplicate: the next event holds only the new report sent after it.
        await postJson('/v1/reports', JSON.parse(jsonUpload([report])));
        const fresh = sealFor(key, nowMs() - 30_000);
        await postJson('/v1/reports', JSON.parse(jsonUpload([fresh])));
        expect((await reportsOf()).map((r) => r.payload)).toEqual([fresh.payload]);
      } finally {
        await events.close();
      }
    });

    it('renews with new ids, and ends the stream when cancelled', async () => {
      const first = owner();
      const next = owner();
      const sub = await subscribe({ ids: [bytesToBase64(first.hashedId)] });
      const renewed = await target().request(`/v1/subscriptions/${sub.subscription}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids: [bytesToBase64(next.hashedId)], ttlSeconds: 120 }),
      });
      expect(renewed.status).toBe(200);
      expect(await renewed.json()).toMatchObject({ subscription: sub.subscription, ids: 1 });
      const events = eventReader(await target().request(sub.events));
      try {
        await postJson('/v1/reports', JSON.parse(jsonUpload([sealFor(next, nowMs() - 1000)])));
        expect((await events.next())?.event).toBe('reports');
        const cancelled = await target().request(`/v1/subscriptions/${sub.subscription}`, { method: 'DELETE' });
        expect(cancelled.status).toBe(204);
        expect(await events.next()).toMatchObject({ event: 'end', data: '{"reason":"cancelled"}' });
      } finally {
        await events.close();
      }
      await expectProblem(await target().request(sub.events), 404);
    });

    it('refuses malformed subscriptions and unknown names with problem+json', async () => {
      const id = bytesToBase64(owner().hashedId);
      await expectProblem(await postJson('/v1/subscriptions', { ids: [] }), 400);
      await expectProblem(await postJson('/v1/subscriptions', { ids: [id], ttlSeconds: 10 }), 400);
      await expectProblem(await postJson('/v1/subscriptions', { ids: Array(2049).fill(id) }), 400);
      await expectProblem(
        await postJson('/v1/subscriptions', {
          ids: [id],
          webhook: { url: 'ftp://x.example/', secret: 'x'.repeat(16) },
        }),
        400,
      );
      await expectProblem(
        await postJson('/v1/subscriptions', { ids: [id], webhook: { url: 'https://x.example/', secret: 'short' } }),
        400,
      );
      await expectProblem(await target().request('/v1/subscriptions/not-a-name/events'), 400);
      await expectProblem(await target().request(`/v1/subscriptions/${'A'.repeat(22)}/events`), 404);
    });
  });
}
