import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';

/** A paired comparison of two classifiers on the same examples. */
export interface McNemarTest {
  /** Examples only the candidate got right. */
  b: number;
  /** Examples only the baseline got right. */
  c: number;
  /** One-sided exact p-value of "the candidate is no better": P(Bin(b + c, 1/2) >= b). */
  pValue: number;
}

/**
 * The exact (binomial) McNemar test, one-sided: on the `b + c` examples where two classifiers
 * disagree about being right, under "equally good" each is equally likely to be the right one, so
 * the p-value of the candidate's `b` is P(Bin(b + c, 1/2) >= b). Computed as P(Bin(b + c, 1/2) <= c)
 * (the same number, by symmetry) with `@stdlib/stats-base-dists-binomial-cdf`, so no `1 - x`
 * cancellation loses small p-values. No disagreement at all gives 1.
 *
 * @example
 * mcnemarExact(5, 0); // { b: 5, c: 0, pValue: 0.03125 }
 * mcnemarExact(1, 0).pValue; // 0.5: one more right answer proves nothing
 */
export function mcnemarExact(b: number, c: number): McNemarTest {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(`McNemar needs non-negative integer counts, got b = ${b}, c = ${c}`);
  }
  return { b, c, pValue: b + c === 0 ? 1 : Math.min(1, binomialCdf(c, b + c, 0.5)) };
}

/**
 * The discordant pairs of two classifiers' outcomes on the same examples.
 *
 * @example
 * discordantPairs([true, true, false], [true, false, true]); // { b: 1, c: 1 }
 */
export function discordantPairs(candidate: readonly boolean[], baseline: readonly boolean[]): { b: number; c: number } {
  if (candidate.length !== baseline.length) {
    throw new RangeError(`paired outcomes differ in length: ${candidate.length} vs ${baseline.length}`);
  }
  let b = 0;
  let c = 0;
  candidate.forEach((right, i) => {
    if (right && !baseline[i]) b++;
    else if (!right && baseline[i]) c++;
  });
  return { b, c };
}
