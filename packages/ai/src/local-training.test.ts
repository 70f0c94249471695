import { describe, expect, it } from 'vitest';
import { countCorrect, decidePromotion, holdoutOutcomes, isHoldout, trainCandidate } from './local-training';
import { NaiveBayesClassifier } from './naive-bayes';

const LABELS = ['refund', 'shipping'];
const EXAMPLES = Array.from({ length: 40 }, (_, i) =>
  i % 2 === 0
    ? { text: `I want a refund for order ${i}`, label: 'refund' }
    : { text: `Where is my parcel number ${i}`, label: 'shipping' },
);

describe('decidePromotion', () => {
  it('promotes the first version of an agent', () => {
    expect(decidePromotion({ correct: 3, holdoutSize: 10 }, undefined)).toEqual({
      promoted: true,
      forced: false,
      reason: 'no active version to compare with',
      baselineAccuracy: null,
    });
  });

  it('promotes only a candidate that gets strictly more held-out examples right', () => {
    const baseline = { version: 3, correct: 52, holdoutFree: true };
    expect(decidePromotion({ correct: 57, holdoutSize: 67 }, baseline)).toMatchObject({
      promoted: true,
      forced: false,
      reason: 'beats v3 on the same 67 held-out examples: 57 right (0.851) vs 52 (0.776)',
    });
    expect(decidePromotion({ correct: 52, holdoutSize: 67 }, baseline)).toMatchObject({
      promoted: false,
      reason: 'does not beat v3 on the same 67 held-out examples: 52 right (0.776) vs 52 (0.776)',
    });
    expect(decidePromotion({ correct: 40, holdoutSize: 67 }, baseline).promoted).toBe(false);
  });

  it('refuses a candidate without a holdout to show it is better, unless forced, and says so', () => {
    const baseline = { version: 1, correct: 0, holdoutFree: true };
    expect(decidePromotion({ correct: null, holdoutSize: 0 }, baseline)).toMatchObject({
      promoted: false,
      reason: 'no held-out examples to compare with v1 on',
    });
    expect(decidePromotion({ correct: null, holdoutSize: 0 }, baseline, { force: true })).toMatchObject({
      promoted: true,
      forced: true,
      reason: 'forced (force): no held-out examples to compare with v1 on',
    });
  });

  it('flags a baseline evaluated with its full model', () => {
    const d = decidePromotion({ correct: 5, holdoutSize: 10 }, { version: 2, correct: 6, holdoutFree: false });
    expect(d.reason).toMatch(/^does not beat v2 .*; v2 has no holdout-free model stored/);
  });
});

describe('trainCandidate', () => {
  it('measures on the holdout with a model that never saw it, then serves with one trained on everything', () => {
    const c = trainCandidate(EXAMPLES, LABELS);
    const holdout = EXAMPLES.filter((e) => isHoldout(e.text));
    expect(holdout.length).toBeGreaterThan(0);
    expect(c.holdout).toEqual(holdout);
    expect(c.outcomes).toHaveLength(holdout.length);
    expect(c.correct).toBe(c.outcomes?.filter(Boolean).length);
    expect(c.metrics).toEqual({
      holdoutAccuracy: (c.correct ?? Number.NaN) / holdout.length,
      holdoutSize: holdout.length,
      trainSize: EXAMPLES.length - holdout.length,
    });
    expect(c.evaluation?.exampleCount).toBe(EXAMPLES.length - holdout.length);
    expect(c.final.exampleCount).toBe(EXAMPLES.length);
    expect(c.final.kind).toBe('softmax-regression');
  });
});

describe('countCorrect and holdoutOutcomes', () => {
  it('choose among the labels the classifier knows and count the rest as wrong', () => {
    const nb = NaiveBayesClassifier.train(EXAMPLES, LABELS);
    const examples = [
      { text: 'refund please', label: 'refund' },
      { text: 'parcel lost', label: 'shipping' },
      { text: 'newsletter?', label: 'other' },
    ];
    expect(holdoutOutcomes(nb, examples, [...LABELS, 'other'])).toEqual([true, true, false]);
    expect(countCorrect(nb, examples, [...LABELS, 'other'])).toBe(2);
    expect(holdoutOutcomes(nb, examples, ['other'])).toEqual([false, false, false]);
  });
});
