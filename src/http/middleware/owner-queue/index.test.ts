import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { counted } from '../../../../test/counted.ts';
import { ownerQueue, queueGate } from './index.ts';

describe('ownerQueue', () => {
  it('runs at most `concurrency` at once, the rest in order, and refuses past the line', async () => {
    const gate = queueGate(2, 2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const starts = counted(() => started.length);
    // Each handler, once started, waits for the test to release it.
    const releases: Array<() => void> = [];
    const app = new Hono().use('*', ownerQueue(gate)).get('/:n', async (c) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((release) => {
        releases.push(release);
        started.push(Number(c.req.param('n')));
        starts.changed();
      });
      running--;
      return c.text('ok');
    });
    const answers = [1, 2, 3, 4, 5].map((n) => app.request(`/${n}`));
    await starts.reach(2);
    // Two run, two wait, the fifth finds the line full.
    const refused = await answers[4]!;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(started).toEqual([1, 2]);
    // Each turn that ends lets the next in line start.
    releases.shift()!();
    await starts.reach(3);
    releases.shift()!();
    await starts.reach(4);
    expect(started).toEqual([1, 2, 3, 4]);
    for (const release of releases.splice(0)) release();
    expect((await Promise.all(answers.slice(0, 4))).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(most).toBe(2);
  });

  describe('with a clock the test moves', () => {
    afterEach(() => vi.useRealTimers());

    it('pauses before the next turn twice as long as the last one lasted, while other work waits', async () => {
      vi.useFakeTimers();
      let othersWaiting = true;
      const gate = queueGate(1, 8, () => othersWaiting);
      await gate.enter();
      const next = gate.enter()!;
      let granted = false;
      void next.then(() => (granted = true));
      gate.leave(30);
      await vi.advanceTimersByTimeAsync(59);
      expect(granted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(granted).toBe(true);
      // With nothing else waiting, the turn passes at once.
      othersWaiting = false;
      const third = gate.enter()!;
      let thirdGranted = false;
      void third.then(() => (thirdGranted = true));
      gate.leave(60);
      await vi.advanceTimersByTimeAsync(0);
      expect(thirdGranted).toBe(true);
    });
  });
});
