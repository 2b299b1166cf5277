import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ownerQueue, queueGate } from './index.ts';

describe('ownerQueue', () => {
  it('runs at most `concurrency` at once, the rest in order, and refuses past the line', async () => {
    const gate = queueGate(2, 2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const release: Array<() => void> = [];
    const app = new Hono().use('*', ownerQueue(gate)).get('/:n', async (c) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => release.push(resolve));
      order.push(Number(c.req.param('n')));
      running--;
      return c.text('ok');
    });
    const answers = [1, 2, 3, 4, 5].map((n) => app.request(`/${n}`));
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Two run, two wait, the fifth finds the line full.
    const refused = await answers[4]!;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    while (order.length < 4) {
      release.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await Promise.all(answers.slice(0, 4))).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('pauses before the next turn twice as long as the last one lasted, while other work waits', async () => {
    let othersWaiting = true;
    const gate = queueGate(1, 8, () => othersWaiting);
    await gate.enter();
    const next = gate.enter()!;
    let granted = false;
    void next.then(() => (granted = true));
    gate.leave(30);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(granted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(granted).toBe(true);
    // With nothing else waiting, the turn passes at once.
    othersWaiting = false;
    const third = gate.enter()!;
    let thirdGranted = false;
    void third.then(() => (thirdGranted = true));
    gate.leave(60);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(thirdGranted).toBe(true);
  });
});
