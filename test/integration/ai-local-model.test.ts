// The built-in model against a real PostgreSQL: training from seeds and human labels, versions,
// concurrent trainers, and the provider's cache.

import {
  createLocalProvider,
  findActiveLocalModel,
  isHoldout,
  type LocalProviderOptions,
  loadTrainingExamples,
  NaiveBayesClassifier,
  trainLocalModel,
  trainLocalModelCandidate,
} from '@signoff/ai';
import { type AppErrorCode, isAppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const LABELS = ['refund', 'shipping', 'other'];
const SEEDS: [string, string][] = [
  ['I want a refund for my broken kettle', 'refund'],
  ['Please refund my money, the item arrived damaged', 'refund'],
  ['Can I get my money back for this order?', 'refund'],
  ['Refund the double charge on my card', 'refund'],
  ['I returned the shoes, where is my refund?', 'refund'],
  ['The product is faulty, I want my money returned', 'refund'],
  ['Where is my parcel? Tracking shows nothing', 'shipping'],
  ['My package has not been delivered yet', 'shipping'],
  ['When will the courier deliver my order?', 'shipping'],
  ['The tracking number does not work', 'shipping'],
  ['Can you ship to Norway?', 'shipping'],
  ['Delivery is two weeks late, where is the parcel', 'shipping'],
  ['Zorblax widget status please', 'shipping'],
  ['Do you have a newsletter?', 'other'],
  ['What are your opening hours?', 'other'],
];

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

async function seed(agent: string, examples: [string, string][] = SEEDS): Promise<void> {
  await t.db
    .insertInto('seed_examples')
    .values(examples.map(([text, label]) => ({ agent, text, label })))
    .execute();
}

/** A human verdict on a decision, with the rows a label needs (workflow, item, task, review). */
async function addHumanLabel(db: Kysely<DB>, agent: string, text: string, label: string): Promise<void> {
  const n = Math.random().toString(36).slice(2, 10);
  const user = await db
    .insertInto('users')
    .values({ email: `r${n}@example.test`, name: 'Reviewer', role: 'reviewer', password_hash: 'x' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const wf = await db
    .insertInto('workflow_versions')
    .values({ name: `wf-${n}`, version: 1, hash: n, definition: JSON.stringify({}) })
    .returning('id')
    .executeTakeFirstOrThrow();
  const item = await db
    .insertInto('items')
    .values({
      workflow_name: `wf-${n}`,
      workflow_version_id: wf.id,
      input: JSON.stringify({ text }),
      status: 'waiting',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const task = await db
    .insertInto('review_tasks')
    .values({
      item_id: item.id,
      state: 'classify',
      visit: 1,
      queue: 'triage',
      status: 'done',
      labels: JSON.stringify(LABELS),
      instructions: 'Check the label',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const review = await db
    .insertInto('reviews')
    .values({ task_id: task.id, reviewer_id: user.id, verdict: 'correct', label })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('labels')
    .values({
      item_id: item.id,
      state: 'classify',
      review_id: review.id,
      workflow_name: `wf-${n}`,
      workflow_version_id: wf.id,
      agent,
      input_text: text,
      human_label: label,
      is_correction: true,
      reviewer_id: user.id,
    })
    .execute();
}

async function versions(agent: string) {
  return t.db
    .selectFrom('local_models')
    .select(['version', 'active', 'example_count', 'metrics'])
    .where('agent', '=', agent)
    .orderBy('version')
    .execute();
}

async function expectAppError(p: Promise<unknown>, code: AppErrorCode, message: RegExp): Promise<void> {
  const e = await p.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
  expect(isAppError(e) ? `${e.code}: ${e.message}` : String(e)).toMatch(new RegExp(`^${code}: .*${message.source}`));
}

const agent = (name: string) => ({ name, instructions: 'Classify the customer message.' });

describe('trainLocalModel', () => {
  it('trains on seeds, measures a deterministic holdout and stores version 1', async () => {
    await seed('train-v1');
    const trained = await trainLocalModel(t.db, 'train-v1', LABELS);
    const holdoutSize = SEEDS.filter(([text]) => isHoldout(text)).length;
    expect(trained).toMatchObject({ version: 1, exampleCount: SEEDS.length, metrics: { holdoutSize } });
    expect(trained.metrics.trainSize).toBe(SEEDS.length - holdoutSize);
    if (holdoutSize > 0) expect(trained.metrics.holdoutAccuracy).toBeGreaterThanOrEqual(0);
    expect(await versions('train-v1')).toEqual([
      { version: 1, active: true, example_count: SEEDS.length, metrics: trained.metrics },
    ]);
    const stored = await findActiveLocalModel(t.db, 'train-v1');
    expect(stored?.classifier.predict('where is my parcel').label).toBe('shipping');
  });

  it('stores each retraining as the next version and deactivates the older ones', async () => {
    await seed('train-next');
    await trainLocalModel(t.db, 'train-next', LABELS);
    const second = await trainLocalModel(t.db, 'train-next', LABELS);
    expect(second.version).toBe(2);
    expect((await versions('train-next')).map((v) => [v.version, v.active])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('gives concurrent trainers distinct versions without crashing on the unique key', async () => {
    await seed('train-race');
    const results = await Promise.all(Array.from({ length: 6 }, () => trainLocalModel(t.db, 'train-race', LABELS)));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await versions('train-race')).filter((v) => v.active).map((v) => v.version)).toEqual([6]);
  });

  it('lets a human label override the seed example of the same text', async () => {
    await seed('train-override');
    await addHumanLabel(t.db, 'train-override', 'Zorblax widget status please', 'refund');
    await addHumanLabel(t.db, 'train-override', 'Is the shop open on Sunday?', 'other');
    await addHumanLabel(t.db, 'train-override', 'Ignored: not an allowed label', 'complaint');
    const examples = await loadTrainingExamples(t.db, 'train-override', LABELS);
    expect(examples).toHaveLength(SEEDS.length + 1);
    expect(examples.find((e) => e.text === 'Zorblax widget status please')?.label).toBe('refund');
  });

  it('refuses an agent without any example with AI_UNAVAILABLE', async () => {
    await expectAppError(
      trainLocalModel(t.db, 'nobody', LABELS),
      'AI_UNAVAILABLE',
      /no training examples for agent "nobody"/,
    );
    expect(await versions('nobody')).toEqual([]);
  });
});

describe('createLocalProvider', () => {
  it('trains v1 (softmax regression) on first use, once, and answers with the posterior and its log-odds', async () => {
    await seed('first-use');
    const local = createLocalProvider();
    const results = await Promise.all(
      ['Where is my parcel?', 'I want my money back', 'Opening hours?', 'refund please', 'courier late'].map((text) =>
        local.decide(t.db, { agent: agent('first-use'), labels: LABELS, text }),
      ),
    );
    expect(results.map((r) => r.label)).toEqual(['shipping', 'refund', 'other', 'refund', 'shipping']);
    for (const r of results) {
      expect(r).toMatchObject({
        provider: 'local',
        model: 'signoff-local-logreg',
        modelVersion: 'lr-v1',
        confidenceMethod: 'posterior',
      });
      expect(r.confidence).toBeGreaterThan(1 / LABELS.length);
      expect(r.confidence).toBeLessThan(1);
      expect(r.score).toBeCloseTo(Math.log(r.confidence / (1 - r.confidence)), 9);
      expect(r.inputHash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.promptVersion).toMatch(/^[0-9a-f]{12}$/);
    }
    expect(results[1]?.rationale).toMatch(
      /^Logistic regression v1 \(15 examples\): P\(refund\) = 0\.\d{3}, log-odds -?\d+\.\d{2}; words for it: "/,
    );
    expect((await findActiveLocalModel(t.db, 'first-use'))?.classifier.kind).toBe('softmax-regression');
    expect(await versions('first-use')).toHaveLength(1);
  });

  it('fails with AI_UNAVAILABLE for an agent without examples', async () => {
    const local = createLocalProvider();
    await expectAppError(
      local.decide(t.db, { agent: agent('empty-agent'), labels: LABELS, text: 'hello' }),
      'AI_UNAVAILABLE',
      /no training examples for agent "empty-agent"/,
    );
  });

  it('picks up a retrained version after the refresh interval, and a human label changes the answer', async () => {
    await seed('learns');
    let clock = 1_000_000;
    const options: LocalProviderOptions = { now: () => clock };
    const local = createLocalProvider(options);
    const ask = () => local.decide(t.db, { agent: agent('learns'), labels: LABELS, text: 'Zorblax widget status' });

    expect(await ask()).toMatchObject({ label: 'shipping', modelVersion: 'lr-v1' });
    await addHumanLabel(t.db, 'learns', 'Zorblax widget status please', 'refund');
    await addHumanLabel(t.db, 'learns', 'My zorblax widget is broken, refund it', 'refund');
    const retrained = await trainLocalModel(t.db, 'learns', LABELS);
    expect(retrained.version).toBe(2);

    clock += 4_999; // still within the 5 s during which the cached version is trusted
    expect(await ask()).toMatchObject({ label: 'shipping', modelVersion: 'lr-v1' });
    clock += 1;
    expect(await ask()).toMatchObject({ label: 'refund', modelVersion: 'lr-v2' });
  });

  it('retrains when asked for a label the model has never heard of', async () => {
    await seed('new-label');
    const local = createLocalProvider();
    const ask = (labels: string[]) =>
      local.decide(t.db, { agent: agent('new-label'), labels, text: 'I want my money back' });
    expect((await ask(LABELS)).modelVersion).toBe('lr-v1');
    const widened = await ask([...LABELS, 'billing']);
    // 'billing' has no examples yet: the model now knows it but cannot pick it.
    expect(widened).toMatchObject({ label: 'refund', modelVersion: 'lr-v2' });
    expect((await findActiveLocalModel(t.db, 'new-label'))?.classifier.labels).toEqual([...LABELS, 'billing']);
    // A narrower label set is a restriction of the same model, not a reason to retrain.
    expect(await ask(['shipping', 'refund'])).toMatchObject({ label: 'refund', modelVersion: 'lr-v2' });
  });

  it('still answers with a naive Bayes version stored before softmax regression, and compares a candidate with it', async () => {
    const name = 'legacy-nb';
    await seed(name);
    // A version as the old trainer stored it: naive Bayes JSON in params and eval_params.
    const examples = SEEDS.map(([text, label]) => ({ text, label }));
    const nb = NaiveBayesClassifier.train(examples, LABELS);
    const evalNb = NaiveBayesClassifier.train(
      examples.filter((e) => !isHoldout(e.text)),
      LABELS,
    );
    await t.db
      .insertInto('local_models')
      .values({
        agent: name,
        version: 1,
        params: JSON.stringify(nb.toJSON()),
        eval_params: JSON.stringify(evalNb.toJSON()),
        example_count: examples.length,
        metrics: JSON.stringify({ holdoutAccuracy: null, holdoutSize: 0, trainSize: examples.length }),
        active: true,
      })
      .execute();
    const local = createLocalProvider();
    const text = 'Where is my parcel? It has not been delivered';
    const r = await local.decide(t.db, { agent: agent(name), labels: LABELS, text });
    const expected = nb.predict(text, LABELS);
    expect(r).toMatchObject({
      label: 'shipping',
      model: 'signoff-local-nb',
      modelVersion: 'nb-v1',
      confidence: expected.probabilities.shipping,
      score: expected.score,
    });
    expect(r.rationale).toMatch(/^Naive Bayes v1 \(15 examples\): P\(shipping\) = /);
    const { candidate, baseline } = await trainLocalModelCandidate(t.db, name, LABELS);
    expect(baseline?.version).toBe(1);
    expect(candidate.metrics.mcnemar).toMatchObject({ alpha: 0.05 });
    expect(candidate.metrics.reason).toMatch(/ held-out examples at p <= 0\.05: /);
  });
});
