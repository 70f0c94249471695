import { createHash } from 'node:crypto';
import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type LabelledExample, NaiveBayesClassifier } from './naive-bayes';

export interface LocalModelMetrics {
  /** Share of held-out examples the model trained on the rest got right; null with no holdout. */
  holdoutAccuracy: number | null;
  holdoutSize: number;
  /** Examples the evaluated model was trained on (the final model uses all of them). */
  trainSize: number;
}

/** A version of an agent's built-in model, as stored in `local_models`. */
export interface TrainedLocalModel {
  id: string;
  agent: string;
  version: number;
  exampleCount: number;
  metrics: LocalModelMetrics;
}

export interface StoredLocalModel extends TrainedLocalModel {
  classifier: NaiveBayesClassifier;
}

export interface TrainLocalModelOptions {
  /**
   * Store nothing if the agent already has an active model, and return that one: for "train v1 on
   * first use", where several processes may race to be first.
   */
  onlyIfNone?: boolean;
}

type Db = Kysely<DB> | Transaction<DB>;

/**
 * An agent's training set: its seed examples, overridden by human labels of the same text (the
 * latest verdict wins), keeping only examples whose label is one of `labels`.
 *
 * @example
 * const examples = await loadTrainingExamples(db, 'refunds', ['refund', 'other']);
 */
export async function loadTrainingExamples(
  db: Db,
  agent: string,
  labels: readonly string[],
): Promise<LabelledExample[]> {
  const seeds = await db
    .selectFrom('seed_examples')
    .select(['text', 'label'])
    .where('agent', '=', agent)
    .orderBy('id')
    .execute();
  const human = await db
    .selectFrom('labels')
    .select(['input_text', 'human_label'])
    .where('agent', '=', agent)
    .where('input_text', 'is not', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const allowed = new Set(labels);
  const byText = new Map<string, string>();
  for (const s of seeds) if (allowed.has(s.label)) byText.set(s.text, s.label);
  for (const h of human)
    if (h.input_text !== null && allowed.has(h.human_label)) byText.set(h.input_text, h.human_label);
  return [...byText].map(([text, label]) => ({ text, label }));
}

/**
 * Whether an example belongs to the holdout set: SHA-256 of its text mod 5 is 0 (about 20%). Keyed
 * on the text, so an example stays on the same side from one training run to the next.
 */
export function isHoldout(text: string): boolean {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) % 5 === 0;
}

/**
 * Trains on the non-holdout examples and measures accuracy on the holdout. Pure.
 *
 * @example
 * evaluateOnHoldout(examples, ['refund', 'other']); // { holdoutAccuracy: 0.9, holdoutSize: 20, trainSize: 80 }
 */
export function evaluateOnHoldout(examples: readonly LabelledExample[], labels: readonly string[]): LocalModelMetrics {
  const holdout = examples.filter((e) => isHoldout(e.text));
  const train = examples.filter((e) => !isHoldout(e.text));
  if (holdout.length === 0 || train.length === 0) {
    return { holdoutAccuracy: null, holdoutSize: holdout.length, trainSize: train.length };
  }
  const nb = NaiveBayesClassifier.train(train, labels);
  const correct = holdout.filter((e) => nb.predict(e.text).label === e.label).length;
  return { holdoutAccuracy: correct / holdout.length, holdoutSize: holdout.length, trainSize: train.length };
}

/**
 * Trains the agent's built-in model on all its examples (see `loadTrainingExamples`), evaluates it
 * on a deterministic holdout, and stores it as the agent's next version, the only active one.
 * Concurrent trainers of one agent are serialised by a transaction-scoped advisory lock, so each
 * gets its own version. Throws `AI_UNAVAILABLE` when the agent has no examples at all.
 *
 * @example
 * const { version, metrics } = await trainLocalModel(db, 'refunds', ['refund', 'other']);
 * console.log(`v${version}: ${metrics.holdoutAccuracy} on ${metrics.holdoutSize} held-out examples`);
 */
export async function trainLocalModel(
  db: Db,
  agent: string,
  labels: readonly string[],
  options: TrainLocalModelOptions = {},
): Promise<TrainedLocalModel> {
  const examples = await loadTrainingExamples(db, agent, labels);
  if (examples.length === 0) {
    throw new AppError('AI_UNAVAILABLE', `no training examples for agent "${agent}" with labels ${labels.join(', ')}`);
  }
  const metrics = evaluateOnHoldout(examples, labels);
  const params = NaiveBayesClassifier.train(examples, labels).toJSON();
  return inTransaction(db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`signoff.local_models:${agent}`}, 0))`.execute(trx);
    if (options.onlyIfNone) {
      const active = await findActiveLocalModel(trx, agent);
      if (active) return withoutClassifier(active);
    }
    // The lock makes a conflict impossible among trainers; a writer that bypasses it only costs a retry.
    for (let attempt = 0; attempt < 5; attempt++) {
      const { max } = await trx
        .selectFrom('local_models')
        .select((eb) => eb.fn.max('version').as('max'))
        .where('agent', '=', agent)
        .executeTakeFirstOrThrow();
      const version = (max ?? 0) + 1;
      const row = await trx
        .insertInto('local_models')
        .values({
          agent,
          version,
          params: JSON.stringify(params),
          example_count: examples.length,
          metrics: JSON.stringify(metrics),
          active: true,
        })
        .onConflict((oc) => oc.columns(['agent', 'version']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) continue;
      await trx
        .updateTable('local_models')
        .set({ active: false })
        .where('agent', '=', agent)
        .where('id', '!=', row.id)
        .where('active', '=', true)
        .execute();
      return { id: row.id, agent, version, exampleCount: examples.length, metrics };
    }
    throw new AppError('CONFLICT', `could not allocate a new local model version for agent "${agent}"`);
  });
}

/**
 * The id and version of the agent's active model, without its parameters: cheap enough to poll.
 *
 * @example
 * const ref = await findActiveLocalModelRef(db, 'refunds'); // { id, version } | undefined
 */
export async function findActiveLocalModelRef(
  db: Db,
  agent: string,
): Promise<{ id: string; version: number } | undefined> {
  return db
    .selectFrom('local_models')
    .select(['id', 'version'])
    .where('agent', '=', agent)
    .where('active', '=', true)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * The agent's active model with its classifier, or `undefined` when it has none.
 *
 * @example
 * const model = await findActiveLocalModel(db, 'refunds');
 * model?.classifier.predict('money back please');
 */
export async function findActiveLocalModel(db: Db, agent: string): Promise<StoredLocalModel | undefined> {
  const ref = await findActiveLocalModelRef(db, agent);
  return ref ? findLocalModel(db, ref.id) : undefined;
}

/**
 * One stored model version by id, or `undefined`.
 *
 * @example
 * const model = await findLocalModel(db, id);
 */
export async function findLocalModel(db: Db, id: string): Promise<StoredLocalModel | undefined> {
  const row = await db
    .selectFrom('local_models')
    .select(['id', 'agent', 'version', 'params', 'example_count', 'metrics'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    agent: row.agent,
    version: row.version,
    exampleCount: row.example_count,
    metrics: row.metrics as unknown as LocalModelMetrics,
    classifier: NaiveBayesClassifier.fromJSON(row.params),
  };
}

function withoutClassifier({ classifier: _, ...model }: StoredLocalModel): TrainedLocalModel {
  return model;
}

async function inTransaction<T>(db: Db, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<DB>) : db.transaction().execute(fn);
}
