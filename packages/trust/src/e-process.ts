// The drift guard's test: a betting e-process for "the error rate is at most alpha", valid under
// continuous monitoring (Waudby-Smith & Ramdas, "Estimating means of bounded random variables by
// betting", JRSS-B 2023; Ville's inequality). No I/O.

export interface EProcessState {
  /** Audit samples seen. */
  samples: number;
  /** Wrong among them. */
  wrong: number;
  /** The wealth E_t: the evidence against "error <= alpha". */
  eValue: number;
  /** The largest E_t so far: the guard alarms when it reaches 1 / delta. */
  maxEValue: number;
}

/**
 * Runs the e-process over audit samples in the order they were labelled (`true` = the AI was
 * wrong): E_t = prod (1 + lambda_i (X_i - alpha)). Under H0 (the error rate is at most alpha) E is
 * a nonnegative supermartingale for any bet lambda_i in [0, 1/alpha] chosen before X_i is seen,
 * so P(E ever reaches 1/delta) <= delta however often it is looked at. The bet is aGRAPA's
 * predictable plug-in (the running mean's excess over alpha divided by its second moment), capped
 * at 1/(2 alpha) so a right answer never costs more than half the wealth.
 *
 * @example
 * const g = bettingEProcess([false, false, true], 0.01);
 * g.maxEValue >= 20; // alarm at delta = 0.05?
 */
export function bettingEProcess(outcomes: readonly boolean[], alpha: number, from?: EProcessState): EProcessState {
  let { samples, wrong, eValue, maxEValue } = from ?? { samples: 0, wrong: 0, eValue: 1, maxEValue: 1 };
  // Running mean and variance with a prior of one half-observation, so the first bets are finite.
  let sumSquares = 0;
  if (from) sumSquares = varianceSum(samples, wrong);
  for (const x of outcomes) {
    const mean = (0.5 + wrong) / (samples + 1);
    const variance = (0.25 + sumSquares) / (samples + 1);
    const excess = mean - alpha;
    const bet = excess <= 0 ? 0 : Math.min(excess / (variance + excess * excess), 1 / (2 * alpha));
    const xi = x ? 1 : 0;
    eValue *= 1 + bet * (xi - alpha);
    maxEValue = Math.max(maxEValue, eValue);
    samples++;
    wrong += xi;
    sumSquares = varianceSum(samples, wrong);
  }
  return { samples, wrong, eValue, maxEValue };
}

/** Sum of squared deviations from the mean of `samples` 0/1 outcomes of which `wrong` are 1. */
function varianceSum(samples: number, wrong: number): number {
  if (samples === 0) return 0;
  const mean = wrong / samples;
  return wrong * (1 - mean) ** 2 + (samples - wrong) * mean ** 2;
}

/** The e-value at which the guard alarms: 1 / delta (Ville's inequality). */
export function alarmLevel(delta: number): number {
  // delta usually arrives as 1 - confidence, and 1 - 0.95 is 0.050000000000000044: round the
  // artefact away so the guard alarms at 20, as documented, not at 19.999999999999982.
  return Number((1 / delta).toPrecision(12));
}
