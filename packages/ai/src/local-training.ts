import { createHash } from 'node:crypto';
import { AppError, isAppError } from '@signoff/core';
import { discordantPairs, type McNemarTest, mcnemarExact } from './mcnemar';
import { SoftmaxRegressionClassifier, type SoftmaxRegressionOptions } from './softmax-regression';
import type { LabelledExample, TextClassifier } from './text-classifier';

/** The significance level at which a candidate must beat the active version to replace it. */
export const DEFAULT_PROMOTION_ALPHA = 0.05;

/** How a model trained on the non-holdout examples did on the held-out ones. */
export interface HoldoutMetrics {
  /** Share of held-out examples the model trained on the rest got right; null with no holdout. */
  holdoutAccuracy: number | null;
  holdoutSize: number;
  /** Examples the evaluated model was trained on (the stored model uses all of them). */
  trainSize: number;
}

/** What `local_models.metrics` records of a version: its holdout result and the promotion decision. */
export interface LocalModelMetrics extends HoldoutMetrics {
  /** The version that was active when this one was trained, if any. */
  baselineVersion: number | null;
  /** That version's accuracy on this version's holdout (the same examples). */
  baselineAccuracy: number | null;
  /** Whether this version became the active one. */
  promoted: boolean;
  /** Promoted although it did not beat the baseline. */
  forced: boolean;
  /** Why it was (not) promoted, in words. */
  reason: string;
  /**
   * The paired test against the baseline on the same held-out examples (`mcnemarExact`): `b` only
   * this version got right, `c` only the baseline, the one-sided p-value and the level `alpha` it
   * had to reach. Null without a baseline or without a holdout to compare on (and for versions
   * stored before the test existed).
   */
  mcnemar: PromotionTest | null;
  /**
   * Which of the candidate's two fits this version serves: `all-examples` (the holdout folded in,
   * the default) or `holdout-free` (the fit the holdout measured, so that a certificate issued on
   * the held-out labels covers the model that answers). Absent on versions stored before.
   */
  serves?: ServedFit;
}

/** Which fit of a candidate a stored version serves (see `LocalModelMetrics.serves`). */
export type ServedFit = 'all-examples' | 'holdout-free';

/** The exact McNemar test a promotion was decided by. */
export interface PromotionTest extends McNemarTest {
  alpha: number;
}

/**
 * Whether an example belongs to the holdout set: SHA-256 of its text mod 5 is 0 (about 20%). Keyed
 * on the text, so an example stays on the same side from one training run to the next, and no
 * version's training split ever contains a text that is held out today.
 */
export function isHoldout(text: string): boolean {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) % 5 === 0;
}

/**
 * Whether the classifier gets each example right, in order, choosing among the `labels` it knows.
 * Examples it cannot answer at all (it knows none of `labels`, or has no examples for them) count as
 * wrong. Pure.
 *
 * @example
 * holdoutOutcomes(classifier, holdout, ['refund', 'other']); // [true, false, true, ...]
 */
export function holdoutOutcomes(
  classifier: TextClassifier,
  examples: readonly LabelledExample[],
  labels: readonly string[],
): boolean[] {
  const among = labels.filter((l) => classifier.labels.includes(l));
  const wrong = () => examples.map(() => false);
  if (among.length === 0) return wrong();
  const outcomes: boolean[] = [];
  for (const e of examples) {
    try {
      outcomes.push(classifier.predict(e.text, among).label === e.label);
    } catch (err) {
      if (!isAppError(err, 'BAD_INPUT')) throw err;
      return wrong(); // none of `among` has examples: the classifier cannot answer anything
    }
  }
  return outcomes;
}

/**
 * Examples the classifier gets right (see `holdoutOutcomes`). Pure.
 *
 * @example
 * countCorrect(classifier, holdout, ['refund', 'other']); // 17
 */
export function countCorrect(
  classifier: TextClassifier,
  examples: readonly LabelledExample[],
  labels: readonly string[],
): number {
  return holdoutOutcomes(classifier, examples, labels).filter(Boolean).length;
}

/** A model trained from one snapshot of an agent's examples, before anything is stored. */
export interface LocalModelCandidate {
  labels: readonly string[];
  exampleCount: number;
  holdout: readonly LabelledExample[];
  /** Trained on the non-holdout examples only: the model comparisons evaluate. Null with none. */
  evaluation: TextClassifier | null;
  /** Trained on every example, holdout included: the model that serves decisions if promoted. */
  final: TextClassifier;
  /** Whether `evaluation` got each held-out example right; null with no holdout or no training split. */
  outcomes: boolean[] | null;
  /** Held-out examples `evaluation` got right; null when there is no holdout or no training split. */
  correct: number | null;
  metrics: HoldoutMetrics;
}

/**
 * Trains a candidate softmax regression (`SoftmaxRegressionClassifier`): first on the non-holdout
 * examples, evaluated on the holdout, then on all of them (the holdout is folded in only after it
 * has been used to measure). Pure.
 *
 * @example
 * const c = trainCandidate(examples, ['refund', 'other']);
 * c.metrics; // { holdoutAccuracy: 0.9, holdoutSize: 20, trainSize: 80 }
 */
export function trainCandidate(
  examples: readonly LabelledExample[],
  labels: readonly string[],
  options: SoftmaxRegressionOptions = {},
): LocalModelCandidate {
  const holdout = examples.filter((e) => isHoldout(e.text));
  const train = examples.filter((e) => !isHoldout(e.text));
  const evaluation = train.length > 0 ? SoftmaxRegressionClassifier.train(train, labels, options) : null;
  const outcomes = evaluation && holdout.length > 0 ? holdoutOutcomes(evaluation, holdout, labels) : null;
  const correct = outcomes ? outcomes.filter(Boolean).length : null;
  return {
    labels,
    exampleCount: examples.length,
    holdout,
    evaluation,
    final: SoftmaxRegressionClassifier.train(examples, labels, options),
    outcomes,
    correct,
    metrics: {
      holdoutAccuracy: correct === null ? null : correct / holdout.length,
      holdoutSize: holdout.length,
      trainSize: train.length,
    },
  };
}

/**
 * Trains on the non-holdout examples and measures accuracy on the holdout. Pure.
 *
 * @example
 * evaluateOnHoldout(examples, ['refund', 'other']); // { holdoutAccuracy: 0.9, holdoutSize: 20, trainSize: 80 }
 */
export function evaluateOnHoldout(examples: readonly LabelledExample[], labels: readonly string[]): HoldoutMetrics {
  return trainCandidate(examples, labels).metrics;
}

/** The active version a candidate is compared with, evaluated on the candidate's holdout. */
export interface PromotionBaseline {
  version: number;
  /** Whether the baseline got each example of the candidate's holdout right, in the same order. */
  outcomes: readonly boolean[];
  /**
   * Whether the baseline was evaluated with its own holdout-free model. Versions trained before
   * those were stored are evaluated with their full model, which has seen some of these examples.
   */
  holdoutFree: boolean;
}

export interface PromotionDecision {
  promoted: boolean;
  forced: boolean;
  reason: string;
  baselineAccuracy: number | null;
  mcnemar: PromotionTest | null;
}

/**
 * The promotion rule: a candidate replaces the active version only if an exact one-sided McNemar
 * test on the same held-out examples (`mcnemarExact`: `b` examples only the candidate got right,
 * `c` only the baseline) gives p <= `alpha` (default 0.05). "More right answers" is not enough: an
 * equally good candidate gets more of them about half the time. With no active version it is
 * promoted; without a holdout it cannot show it is better, so it is not. `force` promotes it anyway,
 * and says so. Pure.
 *
 * @example
 * decidePromotion({ outcomes: candidateOutcomes, holdoutSize: 67 }, { version: 3, outcomes: baselineOutcomes, holdoutFree: true });
 * // { promoted: true, forced: false, baselineAccuracy: 0.776, mcnemar: { b: 7, c: 1, pValue: 0.0352, alpha: 0.05 },
 * //   reason: 'beats v3 on the same 67 held-out examples at p <= 0.05: 58 right (0.866) vs 52 (0.776); ...' }
 */
export function decidePromotion(
  candidate: { outcomes: readonly boolean[] | null; holdoutSize: number },
  baseline: PromotionBaseline | undefined,
  options: { force?: boolean; forceReason?: string; alpha?: number } = {},
): PromotionDecision {
  const alpha = options.alpha ?? DEFAULT_PROMOTION_ALPHA;
  if (!(alpha > 0 && alpha < 1))
    throw new AppError('BAD_INPUT', `the promotion level alpha must be in (0, 1), got ${alpha}`);
  if (!baseline) {
    return {
      promoted: true,
      forced: false,
      reason: 'no active version to compare with',
      baselineAccuracy: null,
      mcnemar: null,
    };
  }
  const n = candidate.holdoutSize;
  const baselineCorrect = baseline.outcomes.filter(Boolean).length;
  const baselineAccuracy = n > 0 ? baselineCorrect / n : null;
  let reason: string;
  let better = false;
  let mcnemar: PromotionTest | null = null;
  if (candidate.outcomes === null) {
    reason =
      n === 0
        ? `no held-out examples to compare with v${baseline.version} on`
        : `no training split left after the holdout, so nothing to compare with v${baseline.version}`;
  } else {
    const { b, c } = discordantPairs(candidate.outcomes, baseline.outcomes);
    mcnemar = { ...mcnemarExact(b, c), alpha };
    better = mcnemar.pValue <= alpha;
    const correct = candidate.outcomes.filter(Boolean).length;
    const score = `${correct} right (${fmt(correct / n)}) vs ${baselineCorrect} (${fmt(baselineCorrect / n)})`;
    const test = `exact McNemar: ${b} right only by the candidate, ${c} only by v${baseline.version}, one-sided p = ${mcnemar.pValue.toPrecision(3)}`;
    reason = `${better ? 'beats' : 'does not beat'} v${baseline.version} on the same ${n} held-out examples at p <= ${alpha}: ${score}; ${test}`;
  }
  if (!baseline.holdoutFree) {
    reason += `; v${baseline.version} has no holdout-free model stored and was evaluated with its full model, which saw some of these examples`;
  }
  if (better) return { promoted: true, forced: false, reason, baselineAccuracy, mcnemar };
  if (options.force) {
    return {
      promoted: true,
      forced: true,
      reason: `forced (${options.forceReason ?? 'force'}): ${reason}`,
      baselineAccuracy,
      mcnemar,
    };
  }
  return { promoted: false, forced: false, reason, baselineAccuracy, mcnemar };
}

function fmt(accuracy: number): string {
  return accuracy.toFixed(3);
}
