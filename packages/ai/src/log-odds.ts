// Ranking scores in log-odds: what every decision records as `score` (see `DecideResult.score`).

/**
 * ln(sum(exp(values))) without overflow or underflow: the largest value is factored out. Empty or
 * all `-Infinity` gives `-Infinity`.
 *
 * @example
 * logSumExp([Math.log(0.2), Math.log(0.3)]); // Math.log(0.5)
 * logSumExp([1000, 1000]); // 1000 + Math.LN2
 */
export function logSumExp(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) if ((values[i] as number) > max) max = values[i] as number;
  if (max === Number.NEGATIVE_INFINITY || max === Number.POSITIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] as number) - max);
  return max + Math.log(sum);
}

/**
 * The log-odds of entry `index` against all the others, `z[index] - logSumExp(z without index)`,
 * for unnormalised log-probabilities `z` (softmax logits, log joints): ln(p / (1 - p)) where `p` is
 * the softmax probability of `index`, computed without ever forming `p`, so it keeps its resolution
 * where `p` rounds to 1. `+Infinity` when every other entry is `-Infinity` (or there is none).
 *
 * @example
 * logOddsAgainstRest([2, 0], 0); // 2
 * logOddsAgainstRest([800, 0], 0); // 800, where exp() would have rounded p to 1
 * logOddsAgainstRest([0, 0, 0], 0); // -Math.LN2: p = 1/3
 */
export function logOddsAgainstRest(z: ArrayLike<number>, index: number): number {
  const others: number[] = [];
  for (let i = 0; i < z.length; i++) if (i !== index) others.push(z[i] as number);
  return (z[index] as number) - logSumExp(others);
}

/**
 * ln(p / (1 - p)): `-Infinity` at 0, `+Infinity` at 1.
 *
 * @example
 * logit(0.5); // 0
 * logit(0.75); // Math.log(3)
 */
export function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

/** The clamp that keeps a verbalised confidence's score finite: [0.001, 0.999], so ±6.907. */
export const VERBALIZED_SCORE_BOUND = 0.001;

/**
 * The score of a model's own stated confidence: its logit, with the confidence clamped to
 * [0.001, 0.999] so a stated 0 or 1 stays finite (and ties with anything stated beyond the clamp).
 *
 * @example
 * verbalizedScore(0.9); // Math.log(9)
 * verbalizedScore(1); // Math.log(999)
 */
export function verbalizedScore(confidence: number): number {
  const p = Math.min(1 - VERBALIZED_SCORE_BOUND, Math.max(VERBALIZED_SCORE_BOUND, confidence));
  return logit(p);
}

/**
 * The score of a self-consistency vote: the logit of the agreement share smoothed by half a vote,
 * (votes + 0.5) / (samples + 1), so unanimity is finite (5 of 5: ln 11) and more samples that agree
 * rank higher than fewer (10 of 10: ln 21).
 *
 * @example
 * agreementScore(5, 5); // Math.log(11)
 * agreementScore(0, 5); // -Math.log(11)
 */
export function agreementScore(votes: number, samples: number): number {
  return Math.log(votes + 0.5) - Math.log(samples - votes + 0.5);
}
