import type { DecideResult, DecisionProvider } from '@signoff/ai';
import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { CommittedTransition, Plan } from '@signoff/engine';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countCommitted, processMetrics } from './process-metrics';
import { withProviderMetrics } from './provider-metrics';

const value = async (r: Registry, name: string, labels: Record<string, string>) =>
  (await r.getSingleMetric(name)?.get())?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l),
  )?.value;

function committed(decisions: { route: 'auto' | 'review' | 'sampled'; codes: string[] }[]): CommittedTransition {
  const plan = {
    decisions: decisions.map((d, i) => ({
      id: `d${i}`,
      state: 'classify',
      route: d.route,
      reasons: d.codes.map((code) => ({ code, message: code })),
    })),
  } as unknown as Plan;
  return { workflow: 'wf', outcome: 'state-result', plan };
}

describe('countCommitted', () => {
  it('counts each decision once by route and first reason, and every reason code on its own', async () => {
    const r = new Registry();
    const m = processMetrics(r);
    countCommitted(m, [
      committed([{ route: 'auto', codes: [] }]),
      committed([{ route: 'sampled', codes: ['qa_sample'] }]),
      committed([
        { route: 'review', codes: ['risk_rule', 'low_confidence', 'risk_rule'] },
        { route: 'review', codes: ['low_confidence'] },
      ]),
    ]);
    const d = (route: string, reason: string) => value(r, 'signoff_decisions_total', { route, reason });
    expect(await d('auto', 'none')).toBe(1);
    expect(await d('sampled', 'qa_sample')).toBe(1);
    expect(await d('review', 'risk_rule')).toBe(1);
    expect(await d('review', 'low_confidence')).toBe(1);
    expect(await value(r, 'signoff_decision_reasons_total', { reason: 'risk_rule' })).toBe(1);
    expect(await value(r, 'signoff_decision_reasons_total', { reason: 'low_confidence' })).toBe(2);
    expect(await value(r, 'signoff_transitions_total', { workflow: 'wf', outcome: 'state-result' })).toBe(3);
  });
});

describe('withProviderMetrics', () => {
  const db = {} as Kysely<DB>;
  const req = { agent: { name: 'a', model: 'm1', instructions: 'i' }, labels: ['x', 'y'], text: 't' };
  const answer = { model: 'm1', tokensIn: 10, tokensOut: 3, costUsd: 0.5 } as DecideResult;

  it('counts calls, latency, tokens and cost of answers, and errors by kind', async () => {
    const r = new Registry();
    const m = processMetrics(r);
    let clock = 0;
    const failures = [
      new AppError('AI_UNAVAILABLE', 'down', {
        ai: { kind: 'http_error', provider: 'openai', model: 'm1', status: 503 },
      }),
      new AppError('AI_UNAVAILABLE', 'open', { ai: { kind: 'circuit_open', provider: 'openai', model: 'm1' } }),
      new AppError('TIMEOUT', 'slow'),
    ];
    const inner: DecisionProvider = {
      name: 'openai',
      async decide() {
        clock += 2000;
        const f = failures.shift();
        if (f) throw f;
        return answer;
      },
    };
    const p = withProviderMetrics(inner, m, () => clock);
    for (let i = 0; i < 3; i++) await expect(p.decide(db, req)).rejects.toThrow();
    expect(await p.decide(db, req)).toBe(answer);
    const labels = { provider: 'openai', model: 'm1' };
    expect(await value(r, 'signoff_ai_errors_total', { ...labels, kind: 'http_error' })).toBe(1);
    expect(await value(r, 'signoff_ai_errors_total', { ...labels, kind: 'circuit_open' })).toBe(1);
    expect(await value(r, 'signoff_ai_errors_total', { ...labels, kind: 'timeout' })).toBe(1);
    expect(await value(r, 'signoff_ai_calls_total', { ...labels, outcome: 'error' })).toBe(3);
    expect(await value(r, 'signoff_ai_calls_total', { ...labels, outcome: 'ok' })).toBe(1);
    // The breaker's refusal sent nothing: two error latencies, not three.
    expect(await value(r, 'signoff_ai_latency_seconds', { ...labels, outcome: 'error', le: '+Inf' })).toBe(2);
    expect(await value(r, 'signoff_ai_latency_seconds', { ...labels, outcome: 'ok', le: '2.5' })).toBe(1);
    expect(await value(r, 'signoff_ai_latency_seconds', { ...labels, outcome: 'ok', le: '1' })).toBe(0);
    expect(await value(r, 'signoff_ai_tokens_total', { ...labels, direction: 'in' })).toBe(10);
    expect(await value(r, 'signoff_ai_tokens_total', { ...labels, direction: 'out' })).toBe(3);
    expect(await value(r, 'signoff_ai_cost_usd_total', labels)).toBe(0.5);
  });
});
