import { createHash } from 'node:crypto';
import { isAppError } from '@signoff/core';
import { SoftmaxRegressionClassifier, type SoftmaxRegressionOptions } from './softmax-regression';
import type { LabelledExample, TextClassifier } from './text-classifier';

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
  /** Held-out examples (of the candidate's holdout) the baseline got right. */
  correct: number;
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
}

/**
 * The promotion rule: a candidate replaces the active version only if it gets strictly more of the
 * same held-out examples right; with no active version it is promoted; without a holdout it cannot
 * show it is better, so it is not. `force` promotes it anyway, and says so. Pure.
 *
 * @example
 * decidePromotion({ correct: 57, holdoutSize: 67 }, { version: 3, correct: 52, holdoutFree: true });
 * // { promoted: true, forced: false, baselineAccuracy: 0.776,
 * //   reason: 'beats v3 on the same 67 held-out examples: 57 right (0.851) vs 52 (0.776)' }
 */
export function decidePromotion(
  candidate: { correct: number | null; holdoutSize: number },
  baseline: PromotionBaseline | undefined,
  options: { force?: boolean; forceReason?: string } = {},
): PromotionDecision {
  if (!baseline)
    return { promoted: true, forced: false, reason: 'no active version to compare with', baselineAccuracy: null };
  const n = candidate.holdoutSize;
  const baselineAccuracy = n > 0 ? baseline.correct / n : null;
  let reason: string;
  let better = false;
  if (candidate.correct === null) {
    reason =
      n === 0
        ? `no held-out examples to compare with v${baseline.version} on`
        : `no training split left after the holdout, so nothing to compare with v${baseline.version}`;
  } else {
    better = candidate.correct > baseline.correct;
    const score = `${candidate.correct} right (${fmt(candidate.correct / n)}) vs ${baseline.correct} (${fmt(baseline.correct / n)})`;
    reason = `${better ? 'beats' : 'does not beat'} v${baseline.version} on the same ${n} held-out examples: ${score}`;
  }
  if (!baseline.holdoutFree) {
    reason += `; v${baseline.version} has no holdout-free model stored and was evaluated with its full model, which saw some of these examples`;
  }
  if (better) return { promoted: true, forced: false, reason, baselineAccuracy };
  if (options.force) {
    return {
      promoted: true,
      forced: true,
      reason: `forced (${options.forceReason ?? 'force'}): ${reason}`,
      baselineAccuracy,
    };
  }
  return { promoted: false, forced: false, reason, baselineAccuracy };
}

function fmt(accuracy: number): string {
  return accuracy.toFixed(3);
}
