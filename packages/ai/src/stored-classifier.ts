import { AppError } from '@signoff/core';
import { NAIVE_BAYES_FORMAT, NaiveBayesClassifier } from './naive-bayes';
import { SOFTMAX_REGRESSION_FORMAT, SoftmaxRegressionClassifier } from './softmax-regression';
import type { ClassifierKind, TextClassifier } from './text-classifier';

/**
 * Rebuilds a stored classifier (`local_models.params` or `eval_params`) by its `format` tag:
 * `signoff-softmax-regression` (versions trained now) or `signoff-multinomial-nb` (versions trained
 * before), so every stored version still loads and answers. Throws `BAD_INPUT` for anything else.
 *
 * @example
 * const classifier = classifierFromJSON(row.params);
 * classifier.kind; // 'softmax-regression' | 'naive-bayes'
 */
export function classifierFromJSON(json: unknown): TextClassifier {
  const format = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined;
  if (format === SOFTMAX_REGRESSION_FORMAT) return SoftmaxRegressionClassifier.fromJSON(json);
  if (format === NAIVE_BAYES_FORMAT) return NaiveBayesClassifier.fromJSON(json);
  throw new AppError(
    'BAD_INPUT',
    `not a stored local model: format ${JSON.stringify(format)} is neither "${SOFTMAX_REGRESSION_FORMAT}" nor "${NAIVE_BAYES_FORMAT}"`,
  );
}

/** What decisions of each kind of stored classifier record as `model`, and the prefix of `modelVersion`. */
export const LOCAL_MODEL_IDENTITIES: Readonly<Record<ClassifierKind, { model: string; versionPrefix: string }>> =
  Object.freeze({
    'softmax-regression': { model: 'signoff-local-logreg', versionPrefix: 'lr' },
    'naive-bayes': { model: 'signoff-local-nb', versionPrefix: 'nb' },
  });

/**
 * The `model` and `modelVersion` a decision of stored version `version` records: `signoff-local-logreg`
 * and `lr-v<version>` for softmax regression, `signoff-local-nb` and `nb-v<version>` for the naive
 * Bayes versions trained before it.
 *
 * @example
 * localModelIdentity('softmax-regression', 3); // { model: 'signoff-local-logreg', modelVersion: 'lr-v3' }
 */
export function localModelIdentity(kind: ClassifierKind, version: number): { model: string; modelVersion: string } {
  const { model, versionPrefix } = LOCAL_MODEL_IDENTITIES[kind];
  return { model, modelVersion: `${versionPrefix}-v${version}` };
}
