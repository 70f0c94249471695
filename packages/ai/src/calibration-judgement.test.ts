import { describe, expect, it } from 'vitest';
import type { CalibrationMethod, CalibrationPoint } from './calibration';
import { bootstrapMeanLowerBound, judgeCalibration } from './calibration-judgement';
import { mulberry32 } from './seeded-random';

/** `n` answers with confidence from `confidence()`, each right with probability `accuracy(p)`. */
function sample(n: number, seed: number, confidence: (r: () => number) => number, accuracy: (p: number) => number) {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (): CalibrationPoint => {
    const p = confidence(r);
    return { p, correct: r() < accuracy(p) };
  });
}

/** The smallest k with P(Binomial(n, p) > k) <= tail: an upper bound for a count of chance events. */
function binomialUpper(n: number, p: number, tail: number): number {
  let cdf = 0;
  let logPmf = n * Math.log(1 - p); // k = 0
  for (let k = 0; k <= n; k++) {
    cdf += Math.exp(logPmf);
    if (1 - cdf <= tail) return k;
    logPmf += Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p));
  }
  return n;
}

describe('judgeCalibration', () => {
  const runs = 200;
  // Activations by chance stay below this in all but 1 in 1,000 runs of this test, if the rule's
  // false activation rate is at most 5%: 21 of 200.
  const chance = binomialUpper(runs, 0.05, 0.001);

  for (const method of ['isotonic', 'platt'] as CalibrationMethod[]) {
    it(`${method}: a model that is already calibrated gets a calibrator in at most 5% of runs`, () => {
      // Right with probability exactly its confidence; 400 labels to fit on, 100 held out.
      let activated = 0;
      for (let seed = 1; seed <= runs; seed++) {
        const pts = sample(
          500,
          seed,
          (r) => 0.5 + 0.5 * r(),
          (p) => p,
        );
        if (judgeCalibration(method, pts.slice(0, 400), pts.slice(400)).activated) activated++;
      }
      expect(chance).toBe(21);
      expect(activated).toBeLessThanOrEqual(chance);
    });

    it(`${method}: a model that says 0.95 and is right 70% of the time gets one reliably`, () => {
      let activated = 0;
      for (let seed = 1; seed <= 100; seed++) {
        const pts = sample(
          1500,
          1000 + seed,
          (r) => 0.93 + 0.04 * r(),
          () => 0.7,
        );
        const j = judgeCalibration(method, pts.slice(0, 1200), pts.slice(1200));
        if (j.activated) activated++;
        // What it activates says about 0.7 where the model says 0.95.
        if (j.activated) expect(Math.abs(j.after.brier - 0.21)).toBeLessThan(0.05);
      }
      // With 300 held-out labels the improvement (0.0625 per label, sd 0.23) is 4.7 standard errors
      // above 0: a miss is about a 1-in-1,000 event per run.
      expect(activated).toBeGreaterThanOrEqual(97);
    });
  }

  it('needs 50 held-out labels, however clear the improvement', () => {
    // Fitted on answers at 0.9 that are right half the time, so 0.9 becomes 0.5; judged on answers
    // right half the time too: each right one loses 0.24 of Brier, each wrong one gains 0.56.
    const half = (n: number) => Array.from({ length: n }, (_, i) => ({ p: 0.9, correct: i % 2 === 0 }));
    const train = half(200);
    const few = judgeCalibration('isotonic', train, half(49));
    expect(few.interval.lower).toBeGreaterThan(0);
    expect(few.activated).toBe(false);
    expect(few.reason).toMatch(/^49 held-out labels, at least 50 needed to judge a calibrator/);
    const enough = judgeCalibration('isotonic', train, half(50));
    expect(enough.activated).toBe(true);
    // 25 right and 25 wrong: (25 * -0.24 + 25 * 0.56) / 50.
    expect(enough.interval.estimate).toBeCloseTo(0.16, 12);
    expect(enough.interval).toMatchObject({ level: 0.95, resamples: 1000, seed: 1 });
    expect(enough.reason).toMatch(/> 0 \(1000 resamples of 50 held-out labels\)$/);
  });

  it('is the same judgement every time for the same points', () => {
    const pts = sample(
      500,
      7,
      (r) => 0.6 + 0.4 * r(),
      (p) => p ** 2,
    );
    expect(judgeCalibration('platt', pts.slice(0, 400), pts.slice(400))).toEqual(
      judgeCalibration('platt', pts.slice(0, 400), pts.slice(400)),
    );
  });
});

describe('bootstrapMeanLowerBound', () => {
  it('is the one-sided 95% bound of a mean, as the normal approximation gives it', () => {
    // 400 values, 100 of them 1: mean 0.25, standard error sqrt(0.25 * 0.75 / 400) = 0.02165, so
    // the 5% quantile of the mean is about 0.25 - 1.645 * 0.02165 = 0.2144.
    const values = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const b = bootstrapMeanLowerBound(values, { resamples: 20_000, level: 0.95, seed: 3 });
    expect(b.estimate).toBe(0.25);
    expect(b.lower).toBeGreaterThan(0.2144 - 0.004);
    expect(b.lower).toBeLessThan(0.2144 + 0.004);
  });

  it('of values that are all the same, is that value', () => {
    const b = bootstrapMeanLowerBound([0.17, 0.17, 0.17], { resamples: 1000, level: 0.95, seed: 1 });
    expect(b).toEqual({
      statistic: 'brier_improvement',
      estimate: 0.17,
      lower: 0.17,
      level: 0.95,
      resamples: 1000,
      seed: 1,
    });
  });
});
