// Confidence bounds on error rates: exact binomial (Clopper-Pearson) per stratum of audit
// probability, combined conservatively across strata. No I/O.
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';

/**
 * The exact (Clopper-Pearson, 1934) one-sided upper confidence bound on a binomial proportion:
 * the largest p with P(Bin(n, p) <= k) >= delta. With no observations it is 1.
 *
 * @example
 * clopperPearsonUpper(0, 299, 0.05); // 0.00997: 299 right answers bound the error below 1%
 */
export function clopperPearsonUpper(k: number, n: number, delta: number): number {
  if (n <= 0 || k >= n) return 1;
  return betaQuantile(1 - delta, k + 1, n - k);
}

/** The exact one-sided lower bound: the smallest p with P(Bin(n, p) >= k) >= delta; 0 when k = 0. */
export function clopperPearsonLower(k: number, n: number, delta: number): number {
  if (n <= 0 || k <= 0) return 0;
  return betaQuantile(delta, k, n - k + 1);
}

/**
 * The p-value of H0 "the error rate exceeds alpha" after k wrong among n: P(Bin(n, alpha) <= k).
 * Rejecting H0 at level delta (p <= delta) is the same as `clopperPearsonUpper(k, n, delta) <= alpha`.
 */
export function binomialTailPValue(k: number, n: number, alpha: number): number {
  if (n <= 0) return 1;
  return binomialCdf(k, n, alpha);
}

/**
 * Fair labels, when every one of them is right, needed to bound the error below `alpha` with
 * confidence `1 - delta`: the smallest n with (1 - alpha)^n <= delta (299 for 1% at 95%).
 */
export function labelsNeeded(alpha: number, delta: number): number {
  return Math.ceil(Math.log(delta) / Math.log(1 - alpha));
}

/**
 * Decisions of one audit probability: how many there are (`population`), how many were labelled,
 * and how many of those the AI got wrong. Labelled decisions of a stratum are a random sample of
 * it, each drawn independently with the stratum's probability.
 */
export interface Stratum {
  probability: number;
  population: number;
  labelled: number;
  wrong: number;
}

export interface ErrorBound {
  /** The Horvitz-Thompson estimate of the error rate: each stratum's rate, weighted by its population. */
  estimate: number | null;
  lower: number;
  upper: number;
  population: number;
  labelled: number;
  wrong: number;
}

/**
 * A confidence interval on the error rate of a population split into strata of audit
 * probability: each stratum's exact interval at `delta / H` (Bonferroni over the H strata that
 * have decisions), weighted by the stratum's share of the population. Simultaneous coverage of the
 * strata is at least `1 - delta`, so the weighted interval covers the population's rate with at
 * least that probability. `sides` 1 gives only an upper bound (the lower is 0); 2 splits `delta`
 * between both sides. A stratum with decisions but no labels bounds nothing: its upper bound is 1.
 *
 * @example
 * errorBound([{ probability: 1, population: 400, labelled: 400, wrong: 1 },
 *             { probability: 0.05, population: 6000, labelled: 300, wrong: 2 }], 0.05, 1);
 */
export function errorBound(strata: readonly Stratum[], delta: number, sides: 1 | 2 = 2): ErrorBound {
  const used = strata.filter((s) => s.population > 0);
  const population = used.reduce((a, s) => a + s.population, 0);
  const labelled = used.reduce((a, s) => a + s.labelled, 0);
  const wrong = used.reduce((a, s) => a + s.wrong, 0);
  if (population === 0) return { estimate: null, lower: 0, upper: 1, population, labelled, wrong };
  const each = delta / used.length / sides;
  let lower = 0;
  let upper = 0;
  let estimate: number | null = 0;
  for (const s of used) {
    const share = s.population / population;
    upper += share * clopperPearsonUpper(s.wrong, s.labelled, each);
    if (sides === 2) lower += share * clopperPearsonLower(s.wrong, s.labelled, each);
    estimate = estimate === null || s.labelled === 0 ? null : estimate + share * (s.wrong / s.labelled);
  }
  return { estimate, lower, upper: Math.min(1, upper), population, labelled, wrong };
}
