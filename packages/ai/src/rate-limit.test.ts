import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRequestLimiter, LimiterWaitAborted } from './rate-limit';

/** A call the test finishes by hand, reporting `used` tokens. */
function manualCall(used?: number) {
  let finish!: () => void;
  const done = new Promise<{ used?: number }>((resolve) => {
    finish = () => resolve({ used });
  });
  return { call: () => done, finish };
}

const usedOf = (r: { used?: number }) => r.used;
const settled = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createRequestLimiter', () => {
  it('runs at most maxConcurrency calls at once, the rest in arrival order', async () => {
    const limiter = createRequestLimiter({ maxConcurrency: 2 });
    const started: number[] = [];
    const calls = [0, 1, 2, 3].map(() => manualCall());
    const runs = calls.map((c, i) =>
      limiter.run(
        { inputTokens: 1, outputTokens: 1 },
        undefined,
        () => {
          started.push(i);
          return c.call();
        },
        usedOf,
      ),
    );
    await settled();
    expect(started).toEqual([0, 1]);
    expect(limiter.state()).toMatchObject({ inFlight: 2, waiting: 2 });
    calls[1]?.finish();
    await settled();
    expect(started).toEqual([0, 1, 2]);
    calls[0]?.finish();
    calls[2]?.finish();
    await settled();
    calls[3]?.finish();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(limiter.state()).toEqual({ inFlight: 0, waiting: 0, tokensAvailable: Number.POSITIVE_INFINITY });
  });

  it('charges the estimate, settles at the actual usage and refills a minute budget continuously', async () => {
    const limiter = createRequestLimiter({ tokensPerMinute: 600 }); // 10 tokens a second
    const a = manualCall(100);
    const first = limiter.run({ inputTokens: 100, outputTokens: 400 }, undefined, a.call, usedOf);
    await settled();
    expect(limiter.state().tokensAvailable).toBe(100);

    const b = manualCall(50);
    let secondStarted = false;
    const second = limiter.run(
      { inputTokens: 100, outputTokens: 200 },
      undefined,
      () => {
        secondStarted = true;
        return b.call();
      },
      usedOf,
    );
    await settled();
    expect(secondStarted).toBe(false);
    // Settling the first at 100 of its 500 returns 400: 500 available, enough for the second (300).
    a.finish();
    await first;
    await settled();
    expect(secondStarted).toBe(true);
    expect(limiter.state().tokensAvailable).toBe(200);
    b.finish();
    await second;
    expect(limiter.state().tokensAvailable).toBe(450);

    // An underestimate leaves a debt that the refill pays off: 10 tokens a second.
    const c = manualCall(1000);
    c.finish();
    await limiter.run({ inputTokens: 100, outputTokens: 100 }, undefined, c.call, usedOf);
    expect(limiter.state().tokensAvailable).toBe(-550);
    let thirdStarted = false;
    const third = limiter.run(
      { inputTokens: 50, outputTokens: 50 },
      undefined,
      async () => {
        thirdStarted = true;
        return { used: 100 };
      },
      usedOf,
    );
    await vi.advanceTimersByTimeAsync(64_000);
    expect(thirdStarted).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    await third;
    expect(thirdStarted).toBe(true);
  });

  it('lets a request larger than the whole budget through once the bucket is full', async () => {
    const limiter = createRequestLimiter({ tokensPerMinute: 60 });
    const r = await limiter.run({ inputTokens: 500, outputTokens: 500 }, undefined, async () => ({ used: 10 }), usedOf);
    expect(r.used).toBe(10);
  });

  it('takes an aborted waiter out of the queue and lets the next one go', async () => {
    const limiter = createRequestLimiter({ maxConcurrency: 1 });
    const a = manualCall();
    const first = limiter.run({ inputTokens: 1, outputTokens: 1 }, undefined, a.call, usedOf);
    const controller = new AbortController();
    const second = limiter.run({ inputTokens: 1, outputTokens: 1 }, controller.signal, async () => ({}), usedOf);
    let thirdRan = false;
    const third = limiter.run(
      { inputTokens: 1, outputTokens: 1 },
      undefined,
      async () => {
        thirdRan = true;
        return {};
      },
      usedOf,
    );
    await settled();
    controller.abort();
    await expect(second).rejects.toBeInstanceOf(LimiterWaitAborted);
    expect(limiter.state().waiting).toBe(1);
    a.finish();
    await first;
    await third;
    expect(thirdRan).toBe(true);
  });

  it('refunds the output part of a failed call', async () => {
    const limiter = createRequestLimiter({ tokensPerMinute: 1000 });
    await expect(
      limiter.run({ inputTokens: 100, outputTokens: 500 }, undefined, () => Promise.reject(new Error('400')), usedOf),
    ).rejects.toThrow('400');
    expect(limiter.state().tokensAvailable).toBe(900);
  });
});
