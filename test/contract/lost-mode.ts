/**
 * The lost-mode contract, run by contractSuite against every runtime: notices (first write wins,
 * withdrawal by token, expiry) and notify-when-found (a report of a watched id arrives as a
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
import { eventReader } from './event-stream.ts';
import { jsonUpload, sealFor } from './fixtures.ts';
import type { SuiteTools } from './suite.ts';

const DAY_S = 86_400;

export function lostModeSuite({ target, postJson, expectProblem, nowMs }: SuiteTools): void {
  const owner = () => keyPairOf(generatePrivateKey());
  const noticeItem = (key: ReturnType<typeof owner>, message: string, expiresAt: number) => ({
    id: bytesToBase64(key.hashedId),
    notice: bytesToBase64(sealNotice(key.privateKey, { message, contact: parseContact('+15550100'), expiresAt })),
    expiresAt,
    withdrawHash: bytesToBase64(withdrawHashOf(withdrawTokenOf(key.privateKey))),
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
      expect(await published.json()).toEqual({ published: [bytesToBase64(key.hashedId)], alreadyPublished: [] });
      const [found] = await findNotices([bytesToBase64(key.hashedId)]);
      expect(found!.expiresAt).toBe(expiresAt);
      expect(base64ToBytes(found!.notice).length).toBe(NOTICE_LENGTH);
      const opened = openNotice(key.advertisementKey, base64ToBytes(found!.notice), found!.expiresAt);
      expect(opened.message).toBe('My bike bag. Please call.');
      expect(opened.contact).toEqual({ kind: 'phone', value: '+15550100' });
    });

    it('keeps the first notice for an id and refuses a second (first write wins)', async () => {
      const key = owner();
      const expiresAt = Math.floor(nowMs() / 1000) + DAY_S;
      await postJson('/v1/notices', { notices: [noticeItem(key, 'genuine', expiresAt)] });
      const second = await postJson('/v1/notices', { notices: [noticeItem(key, 'planted', expiresAt)] });
      expect(await second.json()).toEqual({ published: [], alreadyPublished: [bytesToBase64(key.hashedId)] });
      const [found] = await findNotices([bytesToBase64(key.hashedId)]);
      expect(openNotice(key.advertisementKey, base64ToBytes(found!.notice), expiresAt).message).toBe('genuine');
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
      expect(await again.json()).toEqual({ published: [id], alreadyPublished: [] });
    });

    it('refuses malformed notices with problem+json naming the field', async () => {
      const key = owner();
      const now = Math.floor(nowMs() / 1000);
      const good = noticeItem(key, 'x', now + DAY_S);
      const cases: Array<[unknown, RegExp]> = [
        [{ notices: [] }, /notices/],
        [{ notices: [{ ...good, notice: bytesToBase64(new Uint8Array(NOTICE_LENGTH - 1)) }] }, /notice is 356 bytes/],
        [{ notices: [{ ...good, withdrawHash: 'AAAA' }] }, /withdrawHash/],
        [{ notices: [{ ...good, expiresAt: now - 1 }] }, /expiresAt/],
        [{ notices: [{ ...good, expiresAt: now + 32 * DAY_S }] }, /expiresAt/],
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
