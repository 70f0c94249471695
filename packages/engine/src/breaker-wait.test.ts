// A try refused by an open circuit breaker, without a database: how long it may wait, and the
// plan that makes it wait (a delayed job at the probe time, the try not counted).
import type { AiFailure } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { BREAKER_JITTER_MS, breakerWaitMs, triesOf } from './breaker-wait';
import { planTransition } from './planner';
import { ITEM, NOW, refunds, snapshot, testEnv } from './planner.fixtures';
import type { ParsedStepJob } from './queue';

const t = NOW.getTime();
const refusal = (retryAt: number): AiFailure => ({
  kind: 'circuit_open',
  provider: 'openai',
  retryAt,
  lastFailure: { kind: 'http_error', provider: 'openai', status: 503 },
});

describe('breakerWaitMs', () => {
  it('waits until the probe while the try has waited less than retry.maxDelayMs in all', () => {
    expect(breakerWaitMs(undefined, {}, refusal(t + 20_000), t)).toBe(20_000);
    // Default maxDelayMs 60 s: 40 s already waited + 20 s + the jitter is past it.
    expect(breakerWaitMs(undefined, { deferredMs: 40_000 }, refusal(t + 20_000), t)).toBeUndefined();
    expect(breakerWaitMs(undefined, { deferredMs: 39_000 }, refusal(t + 20_000), t)).toBe(20_000);
    expect(breakerWaitMs({ maxAttempts: 3, maxDelayMs: 10_000 }, {}, refusal(t + 20_000), t)).toBeUndefined();
    // A probe time already past: at once.
    expect(breakerWaitMs(undefined, {}, refusal(t - 5), t)).toBe(0);
  });

  it('is only for refusals of an open circuit', () => {
    expect(breakerWaitMs(undefined, {}, { kind: 'http_error', provider: 'openai', status: 503 }, t)).toBeUndefined();
    expect(breakerWaitMs(undefined, {}, undefined, t)).toBeUndefined();
  });

  it('counts as tries the attempts that were not refusals', () => {
    expect(triesOf({ attempt: 1 })).toBe(1);
    expect(triesOf({ attempt: 4, deferrals: 3 })).toBe(1);
  });
});

describe('planning a try the breaker refused', () => {
  const at = snapshot({ current_state: 'classify', visits: { classify: 1 } });
  const job = (over: Partial<ParsedStepJob> = {}): ParsedStepJob => ({
    itemId: ITEM,
    state: 'classify',
    visit: 1,
    attempt: 1,
    kind: 'run',
    ...over,
  });
  const error = { message: 'openai endpoint circuit is open', code: 'AI_UNAVAILABLE', ai: refusal(t + 20_000) };

  it('schedules the same try at the probe time (plus jitter), not counted, and audits that it waits for the probe', () => {
    const p = planTransition({
      item: at,
      definition: refunds,
      outcome: {
        kind: 'state-result',
        job: job(),
        result: { kind: 'await-breaker', retryAt: t + 20_000, error },
        startedAt: NOW,
      },
      env: testEnv(),
      aux: {},
    });
    expect(p.result).toBe('retrying');
    // random() = 0.5: half the jitter.
    const delayMs = 20_000 + BREAKER_JITTER_MS / 2;
    expect(p.jobs).toEqual([
      {
        data: { itemId: ITEM, state: 'classify', visit: 1, attempt: 2, kind: 'run', deferrals: 1, deferredMs: delayMs },
        startAfter: new Date(t + delayMs),
      },
    ]);
    expect(p.item).toMatchObject({ attempt: 2, status: 'running', current_state: 'classify' });
    expect(p.events).toEqual([
      {
        actor: { type: 'system', id: null },
        action: 'state.retry_scheduled',
        data: {
          state: 'classify',
          visit: 1,
          error,
          attempt: 1,
          nextAttempt: 2,
          delayMs,
          waitsFor: 'circuit_breaker_probe',
          retryAt: new Date(t + 20_000).toISOString(),
          triesSpent: 0,
        },
      },
    ]);
    expect(p.stateRuns).toEqual([]);
    expect(p.reviewTasks).toEqual([]);
  });

  it('a failure after refusals counts only the real tries, and the next try starts a new wait budget', () => {
    // Attempt 3 after two refusals is the first try: a retry (classify has 3 tries), not the last.
    const p = planTransition({
      item: snapshot({ current_state: 'classify', visits: { classify: 1 }, attempt: 3 }),
      definition: refunds,
      outcome: {
        kind: 'state-error',
        job: job({ attempt: 3, deferrals: 2, deferredMs: 30_000 }),
        error: { message: 'HTTP 503' },
        permanent: false,
        startedAt: NOW,
      },
      env: testEnv(),
      aux: {},
    });
    expect(p.result).toBe('retrying');
    // The default back-off of a first try: 1000 ms; deferrals kept, the wait budget reset.
    expect(p.jobs).toEqual([
      {
        data: { itemId: ITEM, state: 'classify', visit: 1, attempt: 4, kind: 'run', deferrals: 2 },
        startAfter: new Date(t + 1000),
      },
    ]);
  });
});
