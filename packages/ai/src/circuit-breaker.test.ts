// The breaker's refusals say when the next call can go through and what opened the circuit.
import { AppError } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { withCircuitBreaker } from './circuit-breaker';
import type { DecideRequest, DecideResult, DecisionProvider } from './provider';

const outage = {
  kind: 'http_error' as const,
  provider: 'openai',
  endpoint: 'http://fake.invalid/v1',
  model: 'm',
  status: 503,
  providerMessage: 'upstream down',
};
const answer: DecideResult = {
  label: 'bug',
  confidence: 0.9,
  score: 2.2,
  confidenceMethod: 'logprobs',
  provider: 'openai',
  model: 'm',
  modelVersion: 'm',
  promptVersion: 'p',
  inputHash: 'h',
  latencyMs: 1,
};

/** An endpoint that fails while `down`, with or without the provider's failure details. */
function endpoint(details = true) {
  const state = { down: true, calls: 0, hold: undefined as Promise<void> | undefined };
  const provider: DecisionProvider = {
    name: 'openai',
    async decide() {
      state.calls += 1;
      await state.hold;
      if (state.down)
        throw new AppError('AI_UNAVAILABLE', 'http://fake.invalid/v1 answered HTTP 503: upstream down', {
          ...(details ? { ai: outage } : {}),
        });
      return answer;
    },
  };
  return { state, provider };
}
const req: DecideRequest = { agent: { name: 'a', instructions: 'Classify.' }, labels: ['bug', 'billing'], text: 'x' };
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as AppError,
  );

describe('circuit breaker refusals', () => {
  it('carry the probe time and the failure that opened the circuit', async () => {
    let clock = 1_000_000;
    const { state, provider: inner } = endpoint();
    const provider = withCircuitBreaker(inner, { failureThreshold: 2, openMs: 30_000, now: () => clock });
    await refusal(provider.decide(undefined as never, req));
    clock += 500;
    await refusal(provider.decide(undefined as never, req)); // opens at 1_000_500
    clock += 10_000;
    const e = await refusal(provider.decide(undefined as never, req));
    expect(state.calls).toBe(2);
    expect(e.code).toBe('AI_UNAVAILABLE');
    expect(e.ai).toEqual({
      kind: 'circuit_open',
      provider: 'openai',
      endpoint: 'http://fake.invalid/v1',
      model: 'm',
      retryAt: 1_030_500,
      lastFailure: outage,
    });
  });

  it('while the probe is out, tell the others to come back a probe wait later', async () => {
    let clock = 1_000_000;
    const { state, provider: inner } = endpoint();
    const provider = withCircuitBreaker(inner, {
      failureThreshold: 1,
      openMs: 30_000,
      probeWaitMs: 700,
      now: () => clock,
    });
    await refusal(provider.decide(undefined as never, req));
    clock += 30_000;
    let release = () => {};
    state.hold = new Promise<void>((r) => {
      release = r;
    });
    state.down = false;
    const probe = provider.decide(undefined as never, req);
    const other = await refusal(provider.decide(undefined as never, req));
    expect(other.ai).toMatchObject({ kind: 'circuit_open', retryAt: 1_030_700, lastFailure: outage });
    release();
    await expect(probe).resolves.toMatchObject({ label: 'bug' });
    expect(provider.breakerState()).toBe('closed');
  });

  it('describe what opened the circuit from its message when the provider gave no details', async () => {
    const { provider: inner } = endpoint(false);
    const provider = withCircuitBreaker(inner, { failureThreshold: 1, openMs: 30_000, now: () => 5 });
    await refusal(provider.decide(undefined as never, req));
    const e = await refusal(provider.decide(undefined as never, req));
    expect(e.ai).toEqual({
      kind: 'circuit_open',
      provider: 'openai',
      retryAt: 30_005,
      lastFailure: {
        kind: 'http_error',
        provider: 'openai',
        status: 503,
        providerMessage: 'http://fake.invalid/v1 answered HTTP 503: upstream down',
      },
    });
  });
});
