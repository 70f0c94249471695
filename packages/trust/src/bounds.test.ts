import { describe, expect, it } from 'vitest';
import {
  binomialTailPValue,
  clopperPearsonLower,
  clopperPearsonUpper,
  errorBound,
  labelsNeeded,
  type Stratum,
} from './bounds';
import { allowedFailures, seeded } from './random.fixtures';

describe('exact binomial bounds', () => {
  it('match their closed forms where there is one', () => {
    // No error in n: the upper bound solves (1 - p)^n = delta.
    expect(clopperPearsonUpper(0, 299, 0.05)).toBeCloseTo(1 - 0.05 ** (1 / 299), 12);
    // All wrong in n: the lower bound solves p^n = delta.
    expect(clopperPearsonLower(20, 20, 0.05)).toBeCloseTo(0.05 ** (1 / 20), 12);
    expect(clopperPearsonUpper(3, 3, 0.05)).toBe(1);
    expect(clopperPearsonLower(0, 50, 0.05)).toBe(0);
    expect(clopperPearsonUpper(0, 0, 0.05)).toBe(1);
    // P(Bin(299, 0.01) = 0) = 0.99^299.
    expect(binomialTailPValue(0, 299, 0.01)).toBeCloseTo(0.99 ** 299, 12);
    // P(Bin(10, 0.5) <= 2) = (1 + 10 + 45) / 1024.
    expect(binomialTailPValue(2, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
  });

  it('are the test that rejects "error > alpha" exactly when the tail p-value is at most delta', () => {
    for (const [k, n] of [
      [0, 299],
      [0, 298],
      [2, 800],
      [5, 1000],
      [9, 1000],
    ] as const) {
      expect(clopperPearsonUpper(k, n, 0.05) <= 0.01, `${k} of ${n}`).toBe(binomialTailPValue(k, n, 0.01) <= 0.05);
    }
  });

  it('need 299 labels with none wrong for 1% at 95%, and 459 for 1% at 99%', () => {
    expect(labelsNeeded(0.01, 0.05)).toBe(299);
    expect(labelsNeeded(0.01, 0.01)).toBe(459);
  });
});

describe('the stratified error bound', () => {
  it('weights each stratum by its population, and bounds an unlabelled stratum by 1', () => {
    const strata: Stratum[] = [
      { probability: 1, population: 100, labelled: 100, wrong: 0 },
      { probability: 0.1, population: 900, labelled: 90, wrong: 9 },
    ];
    const b = errorBound(strata, 0.05, 2);
    // 0.1 * 0/100 + 0.9 * 9/90
    expect(b.estimate).toBeCloseTo(0.09, 12);
    expect(b.upper).toBeCloseTo(
      0.1 * clopperPearsonUpper(0, 100, 0.0125) + 0.9 * clopperPearsonUpper(9, 90, 0.0125),
      12,
    );
    expect(b.lower).toBeCloseTo(0.9 * clopperPearsonLower(9, 90, 0.0125), 12);
    const unlabelled = errorBound([{ probability: 0.05, population: 10, labelled: 0, wrong: 0 }], 0.05, 1);
    expect(unlabelled).toMatchObject({ estimate: null, upper: 1, lower: 0 });
  });

  it('covers the true error of a mixed population at least 95% of the time (2,000 seeds)', () => {
    const runs = 2000;
    let misses = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const rand = seeded(seed);
      // Two strata: everything below a threshold reviewed (error 20%), 5% of the rest audited (error 2%).
      const strata: Stratum[] = [];
      let trueWrong = 0;
      let total = 0;
      for (const [probability, population, rate] of [
        [1, 300, 0.2],
        [0.05, 5000, 0.02],
      ] as const) {
        const s: Stratum = { probability, population, labelled: 0, wrong: 0 };
        for (let i = 0; i < population; i++) {
          const wrong = rand() < rate;
          trueWrong += wrong ? 1 : 0;
          if (rand() < probability) {
            s.labelled++;
            if (wrong) s.wrong++;
          }
        }
        total += population;
        strata.push(s);
      }
      const b = errorBound(strata, 0.05, 2);
      const truth = trueWrong / total;
      if (truth < b.lower || truth > b.upper) misses++;
    }
    expect(misses).toBeLessThanOrEqual(allowedFailures(0.05, runs));
  });
});
