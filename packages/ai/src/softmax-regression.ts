import { AppError } from '@signoff/core';
import { z } from 'zod';
import {
  DEFAULT_FEATURE_CONFIG,
  type HashedFeatureConfig,
  hashedFeatures,
  namedFeatures,
  type SparseVector,
} from './hashed-features';
import { logOddsAgainstRest } from './log-odds';
import { fitSoftmax } from './softmax-fit';
import { argmax, checkLabels, type LabelledExample, type TextClassifier, type TextPrediction } from './text-classifier';

export const SOFTMAX_REGRESSION_FORMAT = 'signoff-softmax-regression';

export interface SoftmaxRegressionOptions {
  /**
   * Inverse regularisation strength, as scikit-learn's `C`: the objective is
   * `C * sum(log loss) + ||W||^2 / 2`. Default 100: on the public mail corpus and the demo tickets,
   * accuracy was flat to slightly better from 10 to 1,000, and 100 gave mean confidences closest to
   * the accuracy (10 was strongly under-confident on 150 examples: 0.53 for 0.93 right).
   */
  c?: number;
  features?: HashedFeatureConfig;
  /** L-BFGS iterations at most. Default 300. */
  maxIterations?: number;
}

const configSchema = z.object({
  hashBits: z.number().int().min(1).max(22),
  charNgramMin: z.number().int().min(1),
  charNgramMax: z.number().int().min(1),
  charNgramMaxWordLength: z.number().int().min(0),
});

const jsonSchema = z.object({
  format: z.literal(SOFTMAX_REGRESSION_FORMAT),
  formatVersion: z.literal(1),
  labels: z.array(z.string()).min(1),
  /** Training examples per label; a label with none is never predicted. */
  classCounts: z.array(z.number().int().nonnegative()),
  features: configSchema,
  c: z.number().positive(),
  training: z.object({ iterations: z.number().int(), converged: z.boolean(), loss: z.number() }),
  bias: z.array(z.number()),
  /** Used buckets, ascending: base64 of little-endian uint32. */
  buckets: z.string(),
  /** Weights, bucket-major (a bucket's weight for every label, in `labels` order): base64 of little-endian float32. */
  weights: z.string(),
});

/** The stored form: buckets and float32 weights in base64, so only the buckets used take room. */
export type SoftmaxRegressionJSON = z.infer<typeof jsonSchema>;

/**
 * L2-regularised multinomial logistic regression (softmax) over hashed text features
 * (`hashedFeatures`: word unigrams and bigrams, character 3-5-grams within words, sublinear tf,
 * L2-normalised, 2^18 buckets), fitted by L-BFGS on the exact objective. Pure and deterministic:
 * examples are put in a canonical order before fitting, so the same examples in any order give the
 * same parameters. Weights are kept as float32, in training as in storage, so a stored model answers
 * exactly as the one that was evaluated. A label without examples is never predicted.
 *
 * @example
 * const lr = SoftmaxRegressionClassifier.train(
 *   [{ text: 'I want a refund', label: 'refund' }, { text: 'Where is my parcel', label: 'shipping' }],
 *   ['refund', 'shipping'],
 * );
 * lr.predict('refund please'); // { label: 'refund', probabilities: { refund: 0.7, shipping: 0.3 }, score: 0.85 }
 * const copy = SoftmaxRegressionClassifier.fromJSON(JSON.parse(JSON.stringify(lr.toJSON())));
 */
export class SoftmaxRegressionClassifier implements TextClassifier {
  readonly kind = 'softmax-regression';
  readonly labels: readonly string[];
  readonly exampleCount: number;
  readonly #classCounts: readonly number[];
  readonly #config: HashedFeatureConfig;
  readonly #c: number;
  readonly #training: SoftmaxRegressionJSON['training'];
  readonly #bias: Float64Array;
  readonly #buckets: Uint32Array;
  readonly #weights: Float32Array;
  /** Row of each bucket in `#weights`, -1 for buckets no training example used. */
  readonly #rowOf: Int32Array;

  private constructor(parts: {
    labels: readonly string[];
    classCounts: readonly number[];
    config: HashedFeatureConfig;
    c: number;
    training: SoftmaxRegressionJSON['training'];
    bias: Float64Array;
    buckets: Uint32Array;
    weights: Float32Array;
  }) {
    this.labels = parts.labels;
    this.#classCounts = parts.classCounts;
    this.exampleCount = parts.classCounts.reduce((a, b) => a + b, 0);
    this.#config = parts.config;
    this.#c = parts.c;
    this.#training = parts.training;
    this.#bias = parts.bias;
    this.#buckets = parts.buckets;
    this.#weights = parts.weights;
    this.#rowOf = new Int32Array(2 ** parts.config.hashBits).fill(-1);
    parts.buckets.forEach((bucket, row) => {
      this.#rowOf[bucket] = row;
    });
  }

  /** Trains on `examples`, each of whose labels must be one of `labels`. Needs at least one example. */
  static train(
    examples: readonly LabelledExample[],
    labels: readonly string[],
    options: SoftmaxRegressionOptions = {},
  ): SoftmaxRegressionClassifier {
    checkLabels(labels, 'softmax regression');
    if (examples.length === 0) {
      throw new AppError('BAD_INPUT', 'softmax regression needs at least one training example');
    }
    const config = { ...(options.features ?? DEFAULT_FEATURE_CONFIG) };
    const c = options.c ?? 100;
    const labelIndex = new Map(labels.map((l, i) => [l, i]));
    for (const e of examples) {
      if (!labelIndex.has(e.label)) {
        throw new AppError('BAD_INPUT', `example label "${e.label}" is not one of: ${labels.join(', ')}`);
      }
    }
    // A canonical order: the fit sums in example order, and floating-point sums depend on it.
    const sorted = [...examples].sort((a, b) => compare(a.text, b.text) || compare(a.label, b.label));
    const vectors = sorted.map((e) => hashedFeatures(e.text, config));
    const targets = sorted.map((e) => labelIndex.get(e.label) as number);
    const classCounts = labels.map((_, k) => targets.filter((t) => t === k).length);
    const fit = fitSoftmax(vectors, targets, classCounts, {
      c,
      maxIterations: options.maxIterations ?? 300,
      hashBits: config.hashBits,
    });
    return new SoftmaxRegressionClassifier({ labels: [...labels], classCounts, config, c, ...fit });
  }

  /** Rebuilds a model from `toJSON()`'s output; throws `BAD_INPUT` naming what is wrong with it. */
  static fromJSON(json: unknown): SoftmaxRegressionClassifier {
    const parsed = jsonSchema.safeParse(json);
    if (!parsed.success) {
      throw new AppError('BAD_INPUT', `not a stored softmax regression model: ${z.prettifyError(parsed.error)}`);
    }
    const p = parsed.data;
    checkLabels(p.labels, 'softmax regression');
    const k = p.labels.length;
    const buckets = decodeUint32(p.buckets);
    const weights = decodeFloat32(p.weights);
    const problems = [
      p.classCounts.length !== k && `${p.classCounts.length} class counts for ${k} labels`,
      p.bias.length !== k && `${p.bias.length} biases for ${k} labels`,
      weights.length !== buckets.length * k && `${weights.length} weights for ${buckets.length} buckets x ${k} labels`,
      !p.classCounts.some((n) => n > 0) && 'trained on no examples',
      buckets.some((b, i) => b >= 2 ** p.features.hashBits || (i > 0 && b <= (buckets[i - 1] as number))) &&
        'buckets out of range or not ascending',
    ].filter(Boolean);
    if (problems.length > 0) {
      throw new AppError('BAD_INPUT', `stored softmax regression model is inconsistent: ${problems.join('; ')}`);
    }
    return new SoftmaxRegressionClassifier({
      labels: p.labels,
      classCounts: p.classCounts,
      config: p.features,
      c: p.c,
      training: p.training,
      bias: Float64Array.from(p.bias),
      buckets,
      weights,
    });
  }

  /** How the fit ended: L-BFGS iterations, whether it converged, the final objective per example. */
  get training(): SoftmaxRegressionJSON['training'] {
    return { ...this.#training };
  }

  /**
   * The text's feature vector, remembered for the last text: a decision asks for the prediction
   * and then for its evidence, and hashing the n-grams is most of the cost of either.
   */
  #features(text: string): ReturnType<typeof hashedFeatures> {
    if (this.#lastText !== text) {
      this.#lastVector = hashedFeatures(text, this.#config);
      this.#lastText = text;
    }
    return this.#lastVector as ReturnType<typeof hashedFeatures>;
  }
  #lastText: string | undefined;
  #lastVector: ReturnType<typeof hashedFeatures> | undefined;

  predict(text: string, among: readonly string[] = this.labels): TextPrediction {
    if (among.length === 0) throw new AppError('BAD_INPUT', 'predict needs at least one label');
    const columns = among.map((l) => this.#column(l));
    const logits = this.#logits(this.#features(text), columns);
    const best = argmax(logits);
    if (best === undefined) {
      throw new AppError('BAD_INPUT', `none of the labels ${among.join(', ')} has training examples`);
    }
    const top = logits[best] as number;
    const logNorm = top + Math.log(logits.reduce((s, z) => s + Math.exp(z - top), 0));
    const probabilities: Record<string, number> = {};
    among.forEach((label, i) => {
      probabilities[label] = Math.exp((logits[i] as number) - logNorm);
    });
    return { label: among[best] as string, probabilities, score: logOddsAgainstRest(logits, best) };
  }

  /**
   * The words and bigrams of `text` that add most to `label`'s logit over the strongest other
   * label's, strongest first. A word's share includes its character n-grams (a bucket hit by several
   * words is shared between them equally).
   */
  evidence(text: string, label: string, limit = 3): string[] {
    const column = this.#column(label);
    const vector = this.#features(text);
    const others = this.labels.map((l) => this.#column(l)).filter((c) => c !== column && this.#classCounts[c]);
    const logits = this.#logits(vector, others);
    const rival = others[argmax(logits) ?? -1];
    const k = this.labels.length;
    const valueAt = new Map<number, number>();
    vector.indices.forEach((bucket, i) => {
      valueAt.set(bucket, vector.values[i] as number);
    });
    const margin = (bucket: number) => {
      const row = this.#rowOf[bucket] as number;
      if (row < 0) return 0;
      const own = this.#weights[row * k + column] as number;
      return (
        (valueAt.get(bucket) ?? 0) * (own - (rival === undefined ? 0 : (this.#weights[row * k + rival] as number)))
      );
    };
    const named = namedFeatures(text, this.#config);
    const hits = new Map<number, number>();
    const hit = (bucket: number) => hits.set(bucket, (hits.get(bucket) ?? 0) + 1);
    for (const w of named.words) {
      hit(w.bucket);
      for (const b of w.charBuckets) hit(b);
    }
    for (const b of named.bigrams) hit(b.bucket);
    const share = (bucket: number) => margin(bucket) / (hits.get(bucket) as number);
    const scores = new Map<string, number>();
    const credit = (feature: string, amount: number) => scores.set(feature, (scores.get(feature) ?? 0) + amount);
    for (const w of named.words) credit(w.feature, share(w.bucket) + w.charBuckets.reduce((s, b) => s + share(b), 0));
    for (const b of named.bigrams) credit(b.feature, share(b.bucket));
    return [...scores]
      .filter(([, s]) => s > 0)
      .sort(([fa, a], [fb, b]) => b - a || compare(fa, fb))
      .slice(0, limit)
      .map(([f]) => f);
  }

  toJSON(): SoftmaxRegressionJSON {
    return {
      format: SOFTMAX_REGRESSION_FORMAT,
      formatVersion: 1,
      labels: [...this.labels],
      classCounts: [...this.#classCounts],
      features: { ...this.#config },
      c: this.#c,
      training: { ...this.#training },
      bias: [...this.#bias],
      buckets: encodeUint32(this.#buckets),
      weights: encodeFloat32(this.#weights),
    };
  }

  #column(label: string): number {
    const column = this.labels.indexOf(label);
    if (column < 0) {
      throw new AppError('BAD_INPUT', `label "${label}" is not one of the model's: ${this.labels.join(', ')}`);
    }
    return column;
  }

  /** Logits of `columns` for a feature vector; `-Infinity` for labels without examples. */
  #logits(vector: SparseVector, columns: readonly number[]): number[] {
    const k = this.labels.length;
    const logits = columns.map((c) => (this.#classCounts[c] ? (this.#bias[c] as number) : Number.NEGATIVE_INFINITY));
    for (let i = 0; i < vector.indices.length; i++) {
      const row = this.#rowOf[vector.indices[i] as number] as number;
      if (row < 0) continue;
      const x = vector.values[i] as number;
      const base = row * k;
      for (let j = 0; j < columns.length; j++) {
        logits[j] = (logits[j] as number) + x * (this.#weights[base + (columns[j] as number)] as number);
      }
    }
    return logits;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeUint32(values: Uint32Array): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => {
    view.setUint32(i * 4, v, true);
  });
  return Buffer.from(view.buffer).toString('base64');
}

function encodeFloat32(values: Float32Array): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => {
    view.setFloat32(i * 4, v, true);
  });
  return Buffer.from(view.buffer).toString('base64');
}

function decodeUint32(base64: string): Uint32Array {
  const bytes = Buffer.from(base64, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: Math.floor(bytes.byteLength / 4) }, (_, i) => view.getUint32(i * 4, true));
}

function decodeFloat32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: Math.floor(bytes.byteLength / 4) }, (_, i) => view.getFloat32(i * 4, true));
}
