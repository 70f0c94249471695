import { AppError } from '@signoff/core';

/** A text and the label a person (or a seed file) gave it. */
export interface LabelledExample {
  text: string;
  label: string;
}

/** What a classifier says about one text, among the labels it was asked to choose from. */
export interface TextPrediction {
  /** The most probable label; ties go to the label listed first. */
  label: string;
  /** Probability of every label considered; they sum to 1. */
  probabilities: Record<string, number>;
  /**
   * The natural-log odds of `label` against all the other labels considered, ln(p / (1 - p)),
   * computed from the log-probabilities without forming `p`: unbounded, never rounded to a tie
   * where `p` rounds to 1. `+Infinity` when no other label is possible.
   */
  score: number;
}

/** The stored model kinds, by their `format` tag in `local_models.params`. */
export type ClassifierKind = 'softmax-regression' | 'naive-bayes';

/** A trained text classifier that the local provider can serve and the trainer can compare. */
export interface TextClassifier {
  readonly kind: ClassifierKind;
  /** Every label the model knows, in order; some may have had no examples (they never win). */
  readonly labels: readonly string[];
  /** Number of examples the model was trained on. */
  readonly exampleCount: number;
  /**
   * The prediction among `among` (default: all the model's labels). Throws `BAD_INPUT` for a label
   * the model does not know, or when none of `among` had training examples.
   */
  predict(text: string, among?: readonly string[]): TextPrediction;
  /** The words of `text` that most favour `label` over the strongest other label, strongest first. */
  evidence(text: string, label: string, limit?: number): string[];
  /** Plain JSON for `local_models.params`, tagged with its `format`; `classifierFromJSON` reads it. */
  toJSON(): { format: string } & Record<string, unknown>;
}

/** Throws `BAD_INPUT` unless `labels` is a non-empty list of distinct labels. */
export function checkLabels(labels: readonly string[], model: string): void {
  if (labels.length === 0) throw new AppError('BAD_INPUT', `${model} needs at least one label`);
  if (new Set(labels).size !== labels.length) {
    throw new AppError('BAD_INPUT', `${model} labels must be distinct (got ${labels.join(', ')})`);
  }
}

/**
 * Index of the largest entry of `z`, the first one among equals. `undefined` when every entry is
 * `-Infinity` (nothing can be chosen).
 */
export function argmax(z: ArrayLike<number>): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < z.length; i++) {
    const v = z[i] as number;
    if (v === Number.NEGATIVE_INFINITY) continue;
    if (best === undefined || v > (z[best] as number)) best = i;
  }
  return best;
}
