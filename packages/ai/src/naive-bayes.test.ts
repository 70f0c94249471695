import { isAppError } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { NaiveBayesClassifier, textFeatures } from './naive-bayes';
import { TOY_EXAMPLES as EXAMPLES, TOY_LABELS as LABELS } from './toy-examples.test-support';

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

describe('textFeatures', () => {
  it('lower-cases words and adds adjacent bigrams', () => {
    expect(textFeatures('Money BACK, please!')).toEqual(['money', 'back', 'please', 'money back', 'back please']);
  });

  it('keeps letters of any script and apostrophes inside words', () => {
    expect(textFeatures("Don't ÉCRIRE")).toEqual(["don't", 'écrire', "don't écrire"]);
  });
});

describe('NaiveBayesClassifier', () => {
  const nb = NaiveBayesClassifier.train(EXAMPLES, LABELS);

  it('learns a separable toy set', () => {
    for (const ex of EXAMPLES) expect(nb.predict(ex.text).label).toBe(ex.label);
    expect(nb.predict('refund my money please').label).toBe('refund');
    expect(nb.predict('the courier has my parcel').label).toBe('shipping');
  });

  it('returns probabilities that sum to 1, for every label', () => {
    for (const text of ['refund', 'parcel tracking', 'nothing in common', '', 'refund '.repeat(2000)]) {
      const { probabilities } = nb.predict(text);
      expect(Object.keys(probabilities)).toEqual([...LABELS]);
      expect(sum(probabilities)).toBeCloseTo(1, 12);
      for (const p of Object.values(probabilities)) expect(Number.isFinite(p)).toBe(true);
    }
  });

  it('does not underflow on long texts (log-sum-exp)', () => {
    const { label, probabilities } = nb.predict('refund money back broken damaged '.repeat(500));
    expect(label).toBe('refund');
    expect(probabilities.refund).toBeCloseTo(1, 6);
  });

  it('scores the log-odds from the log joints, which keep ranking where the posterior rounds to 1', () => {
    // Vocabulary {a, b}, alpha 1, equal priors: P(a | x) = 2/3, P(a | y) = 1/3, so each "a" adds ln 2.
    const tiny = NaiveBayesClassifier.train(
      [
        { text: 'a', label: 'x' },
        { text: 'b', label: 'y' },
      ],
      ['x', 'y'],
    );
    const one = tiny.predict('a');
    expect(one.probabilities.x).toBeCloseTo(2 / 3, 12);
    expect(one.score).toBeCloseTo(Math.LN2, 12);
    // 2,000 times "a" (the bigram "a a" is unknown and ignored): the posterior is exactly 1, the score is not capped.
    const many = tiny.predict('a '.repeat(2000));
    expect(many.probabilities.x).toBe(1);
    expect(many.score).toBeCloseTo(2000 * Math.LN2, 6);
    expect(tiny.predict('a '.repeat(1999)).score).toBeLessThan(many.score);
  });

  it('never lets a label without examples win over labels with examples', () => {
    // 'other' has no examples: even a text of words unseen by any class must not pick it.
    for (const text of ['', 'zebra quantum', 'refund parcel', 'completely unrelated sentence']) {
      const { label, probabilities, score } = nb.predict(text);
      expect(label).not.toBe('other');
      expect(probabilities.other).toBe(0);
      expect(Number.isFinite(score)).toBe(true);
    }
    // Against a label that cannot win at all, the odds are infinite.
    expect(nb.predict('refund', ['refund', 'other']).score).toBe(Number.POSITIVE_INFINITY);
  });

  it('round-trips through JSON with identical predictions', () => {
    const copy = NaiveBayesClassifier.fromJSON(JSON.parse(JSON.stringify(nb.toJSON())));
    expect(copy.labels).toEqual(nb.labels);
    expect(copy.exampleCount).toBe(EXAMPLES.length);
    for (const text of ['refund please', 'where is my parcel', 'hello there']) {
      expect(copy.predict(text)).toEqual(nb.predict(text));
    }
    expect(JSON.stringify(copy.toJSON())).toBe(JSON.stringify(nb.toJSON()));
  });

  it('is deterministic: same data in any order gives the same model and answers', () => {
    const again = NaiveBayesClassifier.train([...EXAMPLES].reverse(), LABELS);
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(nb.toJSON()));
    expect(again.predict('my money for the parcel')).toEqual(nb.predict('my money for the parcel'));
  });

  it('breaks exact ties in favour of the label listed first', () => {
    const tied = NaiveBayesClassifier.train(
      [
        { text: 'alpha', label: 'a' },
        { text: 'beta', label: 'b' },
      ],
      ['b', 'a'],
    );
    expect(tied.predict('gamma')).toEqual({ label: 'b', probabilities: { b: 0.5, a: 0.5 }, score: 0 });
  });

  it('restricts the posterior to a subset of labels and renormalises', () => {
    const { label, probabilities } = nb.predict('refund my parcel', ['shipping', 'other']);
    expect(label).toBe('shipping');
    expect(probabilities).toEqual({ shipping: 1, other: 0 });
  });

  it('names the words that favour a label', () => {
    expect(nb.evidence('please refund my parcel', 'refund', 2)).toContain('refund');
  });

  it('refuses unknown labels, no examples and corrupt JSON with BAD_INPUT', () => {
    const fails = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isAppError(e, 'BAD_INPUT') ? e.message : `unexpected ${String(e)}`;
      }
      return 'did not throw';
    };
    expect(fails(() => NaiveBayesClassifier.train([{ text: 'x', label: 'nope' }], LABELS))).toMatch(/"nope"/);
    expect(fails(() => NaiveBayesClassifier.train([], LABELS))).toMatch(/at least one training example/);
    expect(fails(() => NaiveBayesClassifier.train(EXAMPLES, ['refund', 'refund']))).toMatch(/distinct/);
    expect(fails(() => NaiveBayesClassifier.fromJSON({ format: 'other' }))).toMatch(/not a stored naive Bayes/);
    expect(fails(() => nb.predict('x', ['unknown']))).toMatch(/"unknown"/);
  });
});
