import { describe, expect, it } from 'vitest';
import { routeDecision } from './routing';

type Ctx = { input: { refund: number; tier: string } };
const bigRefund = {
  name: 'big-refund',
  when: (c: Ctx) => c.input.refund > 200,
  reason: 'Refund above 200',
  queue: 'refunds',
};
const policy = {
  autoAcceptAt: 0.8,
  queue: 'support',
  risks: [
    bigRefund,
    {
      name: 'broken',
      when: (): boolean => {
        throw new Error('boom');
      },
      reason: 'never shown',
    },
  ],
};

describe('routeDecision', () => {
  it('auto-accepts a confident answer with no risk', () => {
    const r = routeDecision(
      { ...policy, risks: [bigRefund] },
      { input: { refund: 0, tier: 'free' } },
      { label: 'billing', confidence: 0.9 },
    );
    expect(r).toEqual({ route: 'auto', queue: null, reasons: [] });
  });

  it('sends a low-confidence answer to the default queue with the reason', () => {
    const r = routeDecision(
      { ...policy, risks: [] },
      { input: { refund: 0, tier: 'free' } },
      { label: 'billing', confidence: 0.5 },
    );
    expect(r.route).toBe('review');
    expect(r.queue).toBe('support');
    expect(r.reasons.map((x) => x.code)).toEqual(['low_confidence']);
  });

  // However confident: 1.0 included (a rule skipped for near-certain answers would wave them through).
  for (const confidence of [0.99, 1]) {
    it(`a risk rule forces review into its own queue however confident the AI is (${confidence})`, () => {
      const r = routeDecision(
        { ...policy, risks: [bigRefund] },
        { input: { refund: 500, tier: 'free' } },
        { label: 'billing', confidence },
      );
      expect(r).toEqual({
        route: 'review',
        queue: 'refunds',
        reasons: [{ code: 'risk_rule', rule: 'big-refund', message: 'Refund above 200' }],
      });
    });

    it(`a risk rule that throws counts as a hit, never as a pass (${confidence})`, () => {
      const r = routeDecision(policy, { input: { refund: 0, tier: 'free' } }, { label: 'billing', confidence });
      expect(r.route).toBe('review');
      expect(r.reasons).toContainEqual(expect.objectContaining({ code: 'risk_rule_error', rule: 'broken' }));
    });
  }

  // RoutingPolicy.autoAcceptAt: "at or above this are accepted"; README: "a confidence below
  // autoAcceptAt" goes to review. The threshold itself is accepted.
  it('accepts a confidence exactly at autoAcceptAt, and reviews one just below it', () => {
    const noRisk = { autoAcceptAt: 0.8, queue: 'support' };
    const ctx = { input: { refund: 0, tier: 'free' } };
    expect(routeDecision(noRisk, ctx, { label: 'billing', confidence: 0.8 })).toEqual({
      route: 'auto',
      queue: null,
      reasons: [],
    });
    expect(routeDecision(noRisk, ctx, { label: 'billing', confidence: 0.7999 })).toMatchObject({
      route: 'review',
      queue: 'support',
      reasons: [{ code: 'low_confidence' }],
    });
    expect(routeDecision({ autoAcceptAt: 1, queue: 'support' }, ctx, { label: 'billing', confidence: 1 }).route).toBe(
      'auto',
    );
  });
});
