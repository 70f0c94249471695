import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper } from './bounds';
import { candidateThresholds, certifyThreshold, type ScoredDecision } from './certification';
import { allowedFailures, seeded } from './random.fixtures';

describe('certifyThreshold', () => {
  it('walks down from the highest score and stops at the first threshold that fails', () => {
    // 1,000 labelled decisions, scores 1..1000; the AI is wrong at scores 601-610 and at 300 and below.
    const decisions: ScoredDecision[] = Array.from({ length: 1000 }, (_, i) => {
      const score = 1000 - i;
      return { score, probability: 1, wrong: (score > 600 && score <= 610) || score <= 300 };
    });
    const c = certifyThreshold(decisions, { maxError: 0.05, delta: 0.05, maxCandidates: 1000 });
    // The bound at threshold t (n = 1001 - t decisions, k of them wrong) is CP(k, n). The walk
    // starts where CP(0, n) first reaches 5% (n = 59: 1 - 0.05^(1/59) < 0.05), passes while
    // CP(k, n) <= 5%, and stops where the ten errors at 601-610 are too many for n.
    const upperAt = (t: number) => {
      const n = 1001 - t;
      const k = decisions.filter((d) => d.score >= t && d.wrong).length;
      return clopperPearsonUpper(k, n, 0.05);
    };
    const start = 1001 - 59;
    expect(clopperPearsonUpper(0, 58, 0.05)).toBeGreaterThan(0.05);
    expect(clopperPearsonUpper(0, 59, 0.05)).toBeLessThanOrEqual(0.05);
    let expected: number | null = null;
    for (let t = start; t >= 1; t--) {
      if (upperAt(t) > 0.05) break;
      expected = t;
    }
    expect(expected).not.toBeNull();
    expect(c.threshold).toBe(expected);
    // Above the start nothing is tested; below the first failure nothing is, even where a bound
    // would pass again.
    expect(c.candidates.filter((x) => x.threshold > start).every((x) => !x.tested)).toBe(true);
    const firstFail = c.candidates.findIndex((x) => x.tested && !x.passed);
    expect(c.candidates.slice(firstFail).every((x) => !x.passed)).toBe(true);
    expect(c.candidates.slice(firstFail + 1).every((x) => !x.tested)).toBe(true);
    expect(c.certified?.automation).toBeCloseTo((1001 - (expected as number)) / 1000, 12);
  });

  it('certifies nothing with fewer fair labels than the target needs, and says how many it needs', () => {
    const decisions = Array.from({ length: 250 }, (_, i) => ({ score: i, probability: 1, wrong: false }));
    const c = certifyThreshold(decisions, { maxError: 0.01, delta: 0.05 });
    expect(c.threshold).toBeNull();
    expect(c.labelsNeeded).toBe(299);
    expect(c.reason).toMatch(/at least 299 needed/);
  });

  it('counts unlabelled decisions in the population they stand for, not as right answers', () => {
    // 1,000 decisions above the threshold region, only 100 audited (probability 0.1), none wrong:
    // 100 fair labels cannot bound the error of 1,000 decisions below 1%.
    const decisions: ScoredDecision[] = Array.from({ length: 1000 }, (_, i) => ({
      score: 1000 - i,
      probability: 0.1,
      ...(i % 10 === 0 ? { wrong: false } : {}),
    }));
    expect(certifyThreshold(decisions, { maxError: 0.01, delta: 0.05 }).threshold).toBeNull();
  });

  it('thins candidates by rank, highest first, without looking at labels', () => {
    expect(candidateThresholds([5, 1, 3, 3, 2, 4], 3)).toEqual([5, 3, 1]);
    expect(candidateThresholds([2, 2, 1])).toEqual([2, 1]);
  });
});

/**
 * A model whose errors fall as its score rises: score s uniform on (0, 1), wrong with probability
 * w(s) = c (1 - s)^4. Among decisions with s >= t the error is R(t) = c (1 - t)^4 / 5, known
 * exactly: the risk of any certified threshold can be checked against the truth.
 */
const C = 0.3;
const trueRisk = (t: number) => (C * (1 - t) ** 4) / 5;

function sample(seed: number, n: number, audit?: { below: number; rate: number }): ScoredDecision[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, () => {
    const score = rand();
    const wrong = rand() < C * (1 - score) ** 4;
    // With `audit`: everything below `below` is reviewed (probability 1), the rest sampled at `rate`.
    const probability = audit && score >= audit.below ? audit.rate : 1;
    return { score, probability, ...(rand() < probability ? { wrong } : {}) };
  });
}

describe('certification on data with known truth', () => {
  const maxError = 0.01;
  const delta = 0.05;
  // The best threshold with hindsight: R(t) = 0.01 at t = 1 - (5 * 0.01 / 0.3)^(1/4).
  const best = 1 - ((5 * maxError) / C) ** 0.25;

  it('keeps the true error of the certified threshold at most maxError in at least 95% of 400 runs', () => {
    const runs = 400;
    let failures = 0;
    const automation: number[] = [];
    for (let seed = 1; seed <= runs; seed++) {
      const c = certifyThreshold(sample(seed, 3000), { maxError, delta });
      if (c.threshold === null) continue;
      if (trueRisk(c.threshold) > maxError) failures++;
      automation.push(1 - c.threshold);
    }
    expect(failures).toBeLessThanOrEqual(allowedFailures(delta, runs));
    // Not vacuous: it certifies in nearly every run, most of the way to the hindsight optimum.
    expect(automation.length).toBeGreaterThan(runs * 0.95);
    const median = [...automation].sort((a, b) => a - b)[Math.floor(automation.length / 2)] as number;
    expect(median).toBeGreaterThan(0.75 * (1 - best));
  });

  it('stays valid when the region above an old threshold was only sampled (two strata), in 300 runs', () => {
    const runs = 300;
    let failures = 0;
    let certified = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const c = certifyThreshold(sample(10_000 + seed, 10_000, { below: 0.5, rate: 0.1 }), { maxError, delta });
      if (c.threshold === null) continue;
      certified++;
      if (trueRisk(c.threshold) > maxError) failures++;
    }
    expect(failures).toBeLessThanOrEqual(allowedFailures(delta, runs));
    expect(certified).toBeGreaterThan(runs * 0.75);
  });
});
