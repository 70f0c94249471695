import { describe, expect, it } from 'vitest';
import { hashedFeatures, stableHash } from './hashed-features';
import { SoftmaxRegressionClassifier } from './softmax-regression';
import { TOY_EXAMPLES as EXAMPLES, TOY_LABELS as LABELS } from './toy-examples.test-support';

const THREE = [...EXAMPLES, { text: 'What are your opening hours?', label: 'other' }];

/** A seeded shuffle (Fisher-Yates over a small LCG): the same permutation on every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function decode(json: ReturnType<SoftmaxRegressionClassifier['toJSON']>) {
  const b = Buffer.from(json.buckets, 'base64');
  const w = Buffer.from(json.weights, 'base64');
  return {
    buckets: Array.from({ length: b.length / 4 }, (_, i) => b.readUInt32LE(i * 4)),
    weights: Array.from({ length: w.length / 4 }, (_, i) => w.readFloatLE(i * 4)),
  };
}

describe('SoftmaxRegressionClassifier', () => {
  const lr = SoftmaxRegressionClassifier.train(THREE, LABELS);

  it('learns a separable toy set, and converges', () => {
    for (const ex of THREE) expect(lr.predict(ex.text).label).toBe(ex.label);
    expect(lr.predict('refund my money please').label).toBe('refund');
    expect(lr.predict('the courier has my parcel').label).toBe('shipping');
    expect(lr.training.converged).toBe(true);
  });

  it('reaches the regularised optimum: each weight is -C x sum(features x residuals), as the gradient says', () => {
    // Stationarity of mean(log loss) + ||W||^2 / (2CN), checked with the model's own probabilities:
    // the gradient entry (w + C sum(x r)) / (C N) must be within the solver's tolerance (1e-5) of 0.
    const json = lr.toJSON();
    const { buckets, weights } = decode(json);
    const k = LABELS.length;
    const expected = new Map<number, number[]>();
    const biasResidual = LABELS.map(() => 0);
    for (const ex of THREE) {
      const p = lr.predict(ex.text).probabilities;
      const x = hashedFeatures(ex.text);
      LABELS.forEach((label, c) => {
        const residual = (p[label] as number) - (ex.label === label ? 1 : 0);
        biasResidual[c] = (biasResidual[c] as number) + residual;
        x.indices.forEach((bucket, i) => {
          const row = expected.get(bucket) ?? LABELS.map(() => 0);
          row[c] = (row[c] as number) - json.c * (x.values[i] as number) * residual;
          expected.set(bucket, row);
        });
      });
    }
    expect(buckets).toEqual([...expected.keys()].sort((a, b) => a - b));
    let worst = 0;
    buckets.forEach((bucket, row) => {
      for (let c = 0; c < k; c++) {
        worst = Math.max(worst, Math.abs((weights[row * k + c] as number) - (expected.get(bucket)?.[c] as number)));
      }
    });
    const n = THREE.length;
    expect(worst / (json.c * n)).toBeLessThan(2e-5);
    for (const r of biasResidual) expect(Math.abs(r) / n).toBeLessThan(2e-5);
  });

  it('scores the log-odds of the winner: ln(p / (1 - p)) among the labels considered', () => {
    for (const text of ['refund please', 'parcel', 'hello', '']) {
      for (const among of [LABELS, ['shipping', 'refund']] as const) {
        const { label, probabilities, score } = lr.predict(text, among);
        const p = probabilities[label] as number;
        expect(Object.values(probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(score).toBeCloseTo(Math.log(p / (1 - p)), 9);
      }
    }
  });

  it('keeps the score where the probability rounds to 1 (a stored model with large weights)', () => {
    // Weights +60 / -60 on the bucket of the word "zorblax" only: the logit margin is 120 x.
    const weights = Buffer.alloc(8);
    weights.writeFloatLE(60, 0);
    weights.writeFloatLE(-60, 4);
    const buckets = Buffer.alloc(4);
    buckets.writeUInt32LE(stableHash(0x77, 'zorblax') & ((1 << 18) - 1), 0);
    const model = SoftmaxRegressionClassifier.fromJSON({
      ...SoftmaxRegressionClassifier.train(EXAMPLES, ['refund', 'shipping']).toJSON(),
      classCounts: [1, 1],
      bias: [0, 0],
      buckets: buckets.toString('base64'),
      weights: weights.toString('base64'),
    });
    // Alone, the word is the whole word block: x = 1/√2.
    expect(model.predict('zorblax').score).toBeCloseTo(120 * Math.SQRT1_2, 5);
    // Three times: tf 1 + ln 3 against the bigram's 1 + ln 2, then the block's norm 1/√2.
    const x3 = (1 + Math.log(3)) / Math.sqrt((1 + Math.log(3)) ** 2 + (1 + Math.LN2) ** 2) / Math.SQRT2;
    const strong = model.predict('zorblax zorblax zorblax');
    expect(strong).toMatchObject({ label: 'refund', probabilities: { refund: 1 } });
    expect(strong.score).toBeCloseTo(120 * x3, 5);
    expect(strong.score).toBeGreaterThan(40); // where exp() has rounded the probability to 1
  });

  it('is deterministic: the same examples in any order give identical parameters', () => {
    const again = SoftmaxRegressionClassifier.train(shuffled(THREE, 7), LABELS);
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(lr.toJSON()));
    expect(again.predict('my money for the parcel')).toEqual(lr.predict('my money for the parcel'));
  });

  it('round-trips through compact JSON with identical predictions', () => {
    const json = lr.toJSON();
    const copy = SoftmaxRegressionClassifier.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(copy.labels).toEqual([...LABELS]);
    expect(copy.exampleCount).toBe(THREE.length);
    for (const text of ['refund please', 'where is my parcel', 'hello there']) {
      expect(copy.predict(text)).toEqual(lr.predict(text));
    }
    expect(JSON.stringify(copy.toJSON())).toBe(JSON.stringify(json));
    const { buckets, weights } = decode(json);
    expect(weights).toHaveLength(buckets.length * LABELS.length);
  });

  it('never predicts a label without examples; against it alone the odds are infinite', () => {
    const two = SoftmaxRegressionClassifier.train(EXAMPLES, LABELS);
    for (const text of ['', 'zebra quantum', 'opening hours']) {
      const { label, probabilities } = two.predict(text);
      expect(label).not.toBe('other');
      expect(probabilities.other).toBe(0);
    }
    expect(two.predict('refund', ['refund', 'other'])).toEqual({
      label: 'refund',
      probabilities: { refund: 1, other: 0 },
      score: Number.POSITIVE_INFINITY,
    });
  });

  it('names the words that favour a label', () => {
    expect(lr.evidence('please refund my parcel', 'refund', 2)).toContain('refund');
    expect(lr.evidence('please refund my parcel', 'shipping', 2)).toContain('parcel');
  });

  it('refuses unknown labels, no examples and corrupt JSON with BAD_INPUT', () => {
    const badInput = (message: RegExp) =>
      expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringMatching(message) });
    const train = SoftmaxRegressionClassifier.train;
    expect(() => train([{ text: 'x', label: 'nope' }], LABELS)).toThrow(badInput(/"nope"/));
    expect(() => train([], LABELS)).toThrow(badInput(/at least one training example/));
    expect(() => train(EXAMPLES, ['refund', 'refund'])).toThrow(badInput(/distinct/));
    expect(() => SoftmaxRegressionClassifier.fromJSON({ format: 'other' })).toThrow(badInput(/not a stored softmax/));
    expect(() => SoftmaxRegressionClassifier.fromJSON({ ...lr.toJSON(), bias: [0] })).toThrow(badInput(/1 biases/));
    expect(() => lr.predict('x', ['unknown'])).toThrow(badInput(/"unknown"/));
  });
});
