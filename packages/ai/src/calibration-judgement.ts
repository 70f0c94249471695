// Whether a fitted calibrator is worth activating: judged on labels it was not fitted on, by a
// paired bootstrap of its Brier score improvement. No I/O.
import {
  applyCalibrator,
  brierScore,
  type CalibrationMethod,
  type CalibrationPoint,
  type Calibrator,
  expectedCalibrationError,
  fitCalibrator,
  reliabilityBins,
} from './calibration';
import { mulberry32 } from './seeded-random';

export interface CalibrationQuality {
  ece: number;
  brier: number;
}

/**
 * A one-sided percentile bootstrap interval for the mean held-out Brier improvement (raw Brier
 * minus calibrated Brier, per label; positive: the calibrator helps): `[lower, +inf)` at `level`.
 */
export interface BrierImprovementInterval {
  statistic: 'brier_improvement';
  /** The mean improvement on the held-out labels themselves. */
  estimate: number;
  /** The `1 - level` quantile of the resampled means. */
  lower: number;
  level: number;
  resamples: number;
  seed: number;
}

export interface CalibrationJudgement {
  calibrator: Calibrator;
  /** Significant improvement on enough held-out labels: see `judgeCalibration`. */
  activated: boolean;
  /** Held-out quality of the raw confidence and of the calibrated one. */
  before: CalibrationQuality;
  after: CalibrationQuality;
  interval: BrierImprovementInterval;
  trainSize: number;
  heldOutSize: number;
  /** The held-out labels needed before any calibrator is activated. */
  minHeldOut: number;
  /** Why it was (or was not) activated, with the numbers. */
  reason: string;
  reliability: { before: ReturnType<typeof reliabilityBins>; after: ReturnType<typeof reliabilityBins> };
}

export interface JudgeOptions {
  /** Held-out labels needed to activate anything (default 50). */
  minHeldOut?: number;
  /** Bootstrap resamples (default 1,000). */
  resamples?: number;
  /** One-sided confidence level of the interval (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 1): the same points always give the same judgement. */
  seed?: number;
}

/**
 * Fits a calibrator on `train` and judges it on `heldOut`. It is activated only when both:
 * - there are at least `minHeldOut` held-out labels (50), and
 * - its held-out Brier score improvement is significant: the one-sided `level` (95%) paired
 *   bootstrap interval of the mean per-label improvement lies above 0, i.e. fewer than 5% of
 *   `resamples` (1,000) resamples of the held-out labels, drawn with replacement by a seeded
 *   generator, show no improvement (Efron & Tibshirani, "An introduction to the bootstrap", 1993,
 *   ch. 13, percentile interval). Paired: each resample scores the raw and the calibrated
 *   confidence on the same labels, so what varies is only the difference.
 * A calibrator that helps by chance on a few labels, or is no better than the raw confidence (the
 * identity fitted to a model already calibrated gives an improvement of exactly 0), stays off.
 *
 * @example
 * const j = judgeCalibration('isotonic', train, heldOut);
 * if (j.activated) use(j.calibrator); else console.log(j.reason);
 */
export function judgeCalibration(
  method: CalibrationMethod,
  train: readonly CalibrationPoint[],
  heldOut: readonly CalibrationPoint[],
  options: JudgeOptions = {},
): CalibrationJudgement {
  const minHeldOut = options.minHeldOut ?? 50;
  const calibrator = fitCalibrator(method, train);
  const calibrated = heldOut.map((pt) => ({ p: applyCalibrator(calibrator, pt.p), correct: pt.correct }));
  const before = quality(heldOut);
  const after = quality(calibrated);
  const improvements = heldOut.map((pt, i) => {
    const y = pt.correct ? 1 : 0;
    return (pt.p - y) ** 2 - ((calibrated[i] as CalibrationPoint).p - y) ** 2;
  });
  const interval = bootstrapMeanLowerBound(improvements, {
    resamples: options.resamples ?? 1000,
    level: options.level ?? 0.95,
    seed: options.seed ?? 1,
  });
  const enough = heldOut.length >= minHeldOut;
  const activated = enough && interval.lower > 0;
  const brier = `held-out Brier ${before.brier.toFixed(4)} -> ${after.brier.toFixed(4)}`;
  const bound = `one-sided ${Math.round(interval.level * 100)}% bootstrap lower bound of the improvement ${interval.lower.toFixed(4)}`;
  const over = `${interval.resamples} resamples of ${heldOut.length} held-out labels`;
  const reason = !enough
    ? `${heldOut.length} held-out labels, at least ${minHeldOut} needed to judge a calibrator (${brier})`
    : activated
      ? `${brier}, ${bound} > 0 (${over})`
      : `${brier}, ${bound} is not above 0 (${over})`;
  return {
    calibrator,
    activated,
    before,
    after,
    interval,
    trainSize: train.length,
    heldOutSize: heldOut.length,
    minHeldOut,
    reason,
    reliability: { before: reliabilityBins(heldOut), after: reliabilityBins(calibrated) },
  };
}

/**
 * The mean of `values` and the one-sided percentile bootstrap lower bound of it: the
 * `ceil((1 - level) * resamples)`-th smallest mean of `resamples` resamples of `values`, drawn with
 * replacement by mulberry32 seeded with `seed`. Empty `values` give 0 and 0.
 *
 * @example
 * bootstrapMeanLowerBound([0.1, 0.2, -0.05], { resamples: 1000, level: 0.95, seed: 1 });
 */
export function bootstrapMeanLowerBound(
  values: readonly number[],
  options: { resamples: number; level: number; seed: number },
): BrierImprovementInterval {
  const { resamples, level, seed } = options;
  const n = values.length;
  const mean = (sum: number) => (n === 0 ? 0 : sum / n);
  const estimate = mean(values.reduce((a, v) => a + v, 0));
  const random = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)] as number;
    means[r] = mean(sum);
  }
  means.sort();
  // (1 - 0.95) * 1000 is 50.000000000000036 in floating point: round off the noise before ceil.
  const rank = Math.min(resamples, Math.max(1, Math.ceil((1 - level) * resamples - 1e-9)));
  const lower = resamples === 0 ? estimate : (means[rank - 1] as number);
  return { statistic: 'brier_improvement', estimate, lower, level, resamples, seed };
}

function quality(points: readonly CalibrationPoint[]): CalibrationQuality {
  return { ece: expectedCalibrationError(points), brier: brierScore(points) };
}
