import { AppError } from '@signoff/core';
import { z } from 'zod';
import { textWords } from './hashed-features';
import { logOddsAgainstRest } from './log-odds';
import { checkLabels, type LabelledExample, type TextClassifier, type TextPrediction } from './text-classifier';

/** The posterior over the labels considered, with the log-odds of the winner (`score`). */
export type NaiveBayesPrediction = TextPrediction;

export const NAIVE_BAYES_FORMAT = 'signoff-multinomial-nb';
const FORMAT = NAIVE_BAYES_FORMAT;

const classSchema = z.object({
  documents: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
  counts: z.record(z.string(), z.number().int().positive()),
});

const jsonSchema = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.literal(1),
  alpha: z.number().positive(),
  labels: z.array(z.string()).min(1),
  classes: z.record(z.string(), classSchema),
});

/** The stored form of a trained model: plain JSON, keys sorted, so equal models serialise equally. */
export type NaiveBayesJSON = z.infer<typeof jsonSchema>;

interface ClassStats {
  documents: number;
  tokens: number;
  counts: Map<string, number>;
}

/**
 * The features of a text: lower-cased word unigrams and adjacent-word bigrams (`"money back"`).
 * Bigrams keep a little word order ("not happy" is not "happy") at no cost to the model's simplicity.
 *
 * @example
 * textFeatures('Money back, please'); // ['money', 'back', 'please', 'money back', 'back please']
 */
export function textFeatures(text: string): string[] {
  const words = textWords(text);
  const bigrams: string[] = [];
  for (let i = 1; i < words.length; i++) bigrams.push(`${words[i - 1]} ${words[i]}`);
  return [...words, ...bigrams];
}

/**
 * A multinomial naive Bayes text classifier with Laplace (add-`alpha`) smoothing over
 * `textFeatures`. Pure: no I/O, deterministic. Class priors are the label frequencies in the
 * training set, unsmoothed, so a label without a single example has probability 0 and never wins.
 * Features never seen in training are ignored when predicting.
 *
 * The built-in model's first kind, replaced by `SoftmaxRegressionClassifier` for new versions: its
 * posteriors saturate (on a public mail corpus 91-96% of them were exactly 1.0). Stored versions
 * still load and answer, with their log-odds as `score`, which does not saturate.
 *
 * @example
 * const nb = NaiveBayesClassifier.train(
 *   [{ text: 'I want a refund', label: 'refund' }, { text: 'Where is my parcel', label: 'shipping' }],
 *   ['refund', 'shipping'],
 * );
 * nb.predict('refund please'); // { label: 'refund', probabilities: { refund: 0.8, shipping: 0.2 } }
 * const copy = NaiveBayesClassifier.fromJSON(JSON.parse(JSON.stringify(nb.toJSON())));
 */
export class NaiveBayesClassifier implements TextClassifier {
  readonly kind = 'naive-bayes';
  readonly labels: readonly string[];
  readonly alpha: number;
  readonly #classes: Map<string, ClassStats>;
  readonly #vocabularySize: number;
  readonly #exampleCount: number;

  private constructor(labels: readonly string[], alpha: number, classes: Map<string, ClassStats>) {
    this.labels = labels;
    this.alpha = alpha;
    this.#classes = classes;
    const vocabulary = new Set<string>();
    for (const c of classes.values()) for (const f of c.counts.keys()) vocabulary.add(f);
    this.#vocabularySize = vocabulary.size;
    this.#exampleCount = [...classes.values()].reduce((n, c) => n + c.documents, 0);
  }

  /** Trains on `examples`, each of whose labels must be one of `labels`. Needs at least one example. */
  static train(examples: readonly LabelledExample[], labels: readonly string[], options: { alpha?: number } = {}) {
    checkLabels(labels, 'naive Bayes');
    if (examples.length === 0) throw new AppError('BAD_INPUT', 'naive Bayes needs at least one training example');
    const classes = new Map<string, ClassStats>(labels.map((l) => [l, { documents: 0, tokens: 0, counts: new Map() }]));
    for (const ex of examples) {
      const c = classes.get(ex.label);
      if (!c) throw new AppError('BAD_INPUT', `example label "${ex.label}" is not one of: ${labels.join(', ')}`);
      c.documents++;
      for (const f of textFeatures(ex.text)) {
        c.counts.set(f, (c.counts.get(f) ?? 0) + 1);
        c.tokens++;
      }
    }
    return new NaiveBayesClassifier([...labels], options.alpha ?? 1, classes);
  }

  /** Rebuilds a model from `toJSON()`'s output; throws `BAD_INPUT` naming what is wrong with it. */
  static fromJSON(json: unknown): NaiveBayesClassifier {
    const parsed = jsonSchema.safeParse(json);
    if (!parsed.success) {
      throw new AppError('BAD_INPUT', `not a stored naive Bayes model: ${z.prettifyError(parsed.error)}`);
    }
    const { labels, alpha, classes } = parsed.data;
    checkLabels(labels, 'naive Bayes');
    const stats = new Map<string, ClassStats>();
    for (const l of labels) {
      const c = classes[l];
      if (!c) throw new AppError('BAD_INPUT', `stored naive Bayes model has no statistics for label "${l}"`);
      stats.set(l, { documents: c.documents, tokens: c.tokens, counts: new Map(Object.entries(c.counts)) });
    }
    if (![...stats.values()].some((c) => c.documents > 0)) {
      throw new AppError('BAD_INPUT', 'stored naive Bayes model was trained on no examples');
    }
    return new NaiveBayesClassifier(labels, alpha, stats);
  }

  /** Number of examples the model was trained on. */
  get exampleCount(): number {
    return this.#exampleCount;
  }

  /**
   * The posterior over `among` (default: all the model's labels), computed in log space and
   * normalised with log-sum-exp so long texts do not underflow; `score` is the winner's log-odds
   * from the log joints, so it keeps ranking where the posterior rounds to 1.
   */
  predict(text: string, among: readonly string[] = this.labels): NaiveBayesPrediction {
    if (among.length === 0) throw new AppError('BAD_INPUT', 'predict needs at least one label');
    const features = textFeatures(text);
    const logPosteriors = among.map((label) => this.#logJoint(label, features));
    const max = Math.max(...logPosteriors);
    if (max === Number.NEGATIVE_INFINITY) {
      throw new AppError('BAD_INPUT', `none of the labels ${among.join(', ')} has training examples`);
    }
    const logNorm = max + Math.log(logPosteriors.reduce((s, lp) => s + Math.exp(lp - max), 0));
    const probabilities: Record<string, number> = {};
    let best = 0;
    logPosteriors.forEach((lp, i) => {
      probabilities[among[i] as string] = Math.exp(lp - logNorm);
      if (lp > (logPosteriors[best] as number)) best = i;
    });
    return { label: among[best] as string, probabilities, score: logOddsAgainstRest(logPosteriors, best) };
  }

  /**
   * The features of `text` that most favour `label` over the strongest other label, strongest first:
   * what a reviewer can read as "why".
   */
  evidence(text: string, label: string, limit = 3): string[] {
    const others = this.labels.filter((l) => l !== label && (this.#classes.get(l)?.documents ?? 0) > 0);
    const seen = new Set<string>();
    const scored: { feature: string; score: number }[] = [];
    for (const f of textFeatures(text)) {
      if (seen.has(f) || !this.#isKnown(f)) continue;
      seen.add(f);
      const rival = Math.max(...others.map((o) => this.#logLikelihood(o, f)));
      const score = this.#logLikelihood(label, f) - (others.length > 0 ? rival : 0);
      if (score > 0) scored.push({ feature: f, score });
    }
    scored.sort((a, b) => b.score - a.score || (a.feature < b.feature ? -1 : 1));
    return scored.slice(0, limit).map((s) => s.feature);
  }

  /** Plain JSON for storage (`local_models.params`); `fromJSON` reads it back. */
  toJSON(): NaiveBayesJSON {
    const classes: NaiveBayesJSON['classes'] = {};
    for (const [label, c] of this.#classes) {
      const counts = Object.fromEntries([...c.counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      Object.defineProperty(classes, label, {
        value: { documents: c.documents, tokens: c.tokens, counts },
        enumerable: true,
      });
    }
    return { format: FORMAT, formatVersion: 1, alpha: this.alpha, labels: [...this.labels], classes };
  }

  #logJoint(label: string, features: readonly string[]): number {
    const c = this.#classes.get(label);
    if (!c) throw new AppError('BAD_INPUT', `label "${label}" is not one of the model's: ${this.labels.join(', ')}`);
    if (c.documents === 0) return Number.NEGATIVE_INFINITY;
    let lp = Math.log(c.documents / this.#exampleCount);
    for (const f of features) if (this.#isKnown(f)) lp += this.#logLikelihood(label, f);
    return lp;
  }

  #logLikelihood(label: string, feature: string): number {
    const c = this.#classes.get(label) as ClassStats;
    const count = c.counts.get(feature) ?? 0;
    return Math.log((count + this.alpha) / (c.tokens + this.alpha * this.#vocabularySize));
  }

  #isKnown(feature: string): boolean {
    for (const c of this.#classes.values()) if (c.counts.has(feature)) return true;
    return false;
  }
}
