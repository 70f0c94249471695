import { describe, expect, it } from 'vitest';
import { rankingScore, reviewersRequired, routeDecision } from './routing';

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

describe('rankingScore', () => {
  it("keeps a provider's finite log-odds as they are", () => {
    expect(rankingScore(3.5, 0.2)).toBe(3.5);
    expect(rankingScore(-40, 0.9)).toBe(-40);
  });

  it('caps infinite scores at ±1e6, which JSON can carry and which still rank above every finite one', () => {
    expect(rankingScore(Number.POSITIVE_INFINITY, 1)).toBe(1e6);
    expect(rankingScore(Number.NEGATIVE_INFINITY, 0)).toBe(-1e6);
    expect(JSON.parse(JSON.stringify({ s: rankingScore(Number.POSITIVE_INFINITY, 1) })).s).toBe(1e6);
  });

  it('falls back to the log-odds of the confidence when the provider gave no score', () => {
    expect(rankingScore(undefined, 0.9)).toBeCloseTo(Math.log(9), 12);
    expect(rankingScore(Number.NaN, 0.5)).toBe(0);
    // A confidence of 1 is held just below it: a finite score, about ln(1e12).
    expect(rankingScore(undefined, 1)).toBeCloseTo(27.631, 2);
  });
});

describe('reviewersRequired', () => {
  const twoEyes = { ...bigRefund, reviewers: 2 };
  const threeEyes = {
    name: 'enterprise',
    when: (c: Ctx) => c.input.tier === 'enterprise',
    reason: 'Enterprise',
    reviewers: 3,
  };
  const p = { autoAcceptAt: 0.8, queue: 'support', risks: [twoEyes, threeEyes] };
  const n = (refund: number, tier: string, policy: typeof p & { reviewers?: number } = p) =>
    reviewersRequired(
      policy,
      routeDecision(policy, { input: { refund, tier } }, { label: 'billing', confidence: 0.5 }).reasons,
    );

  it('is 1 by default, the policy count, or the most any triggered rule asks for', () => {
    expect(n(10, 'free')).toBe(1);
    expect(n(10, 'free', { ...p, reviewers: 2 })).toBe(2);
    expect(n(300, 'free')).toBe(2);
    expect(n(300, 'enterprise')).toBe(3);
    expect(n(10, 'enterprise')).toBe(3);
    // The policy's count wins over a rule asking for fewer.
    expect(n(300, 'free', { ...p, reviewers: 4 })).toBe(4);
  });

  it('counts a rule that could not be evaluated as triggered', () => {
    const broken = {
      name: 'broken',
      when: (): boolean => {
        throw new Error('boom');
      },
      reason: 'x',
      reviewers: 2,
    };
    const q = { autoAcceptAt: 0.8, queue: 'support', risks: [broken] };
    expect(reviewersRequired(q, routeDecision(q, { input: {} }, { label: 'a', confidence: 0.99 }).reasons)).toBe(2);
  });
});
