import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit, SYSTEM } from '@signoff/governance';
import { type Kysely, sql, type Transaction } from 'kysely';
import { finalHumanLabels } from './final-labels';
import {
  decidePromotion,
  holdoutOutcomes,
  type LocalModelCandidate,
  type LocalModelMetrics,
  type PromotionBaseline,
  type ServedFit,
  trainCandidate,
} from './local-training';
import { classifierFromJSON } from './stored-classifier';
import type { LabelledExample, TextClassifier } from './text-classifier';

export * from './local-training';

/** A version of an agent's built-in model, as stored in `local_models`. */
export interface TrainedLocalModel {
  id: string;
  agent: string;
  version: number;
  exampleCount: number;
  metrics: LocalModelMetrics;
  /** Whether this is the version that answers the agent's decisions. */
  active: boolean;
}

export interface StoredLocalModel extends TrainedLocalModel {
  /** Softmax regression for versions trained now; naive Bayes for versions stored before it. */
  classifier: TextClassifier;
}

/** The outcome of training a candidate: the version stored and the one it was compared with. */
export interface LocalModelTraining {
  /** The new version; `candidate.active` and `candidate.metrics.promoted` say whether it won. */
  candidate: TrainedLocalModel;
  /** The version that was active when the candidate was compared with it (metrics as it was stored). */
  baseline: TrainedLocalModel | undefined;
}

export interface TrainLocalModelOptions {
  /**
   * Store nothing if the agent already has an active model, and return that one: for "train v1 on
   * first use", where several processes may race to be first.
   */
  onlyIfNone?: boolean;
  /** Who trained it, for the audit event. Default: the system. */
  actor?: Actor;
}

export interface TrainLocalModelCandidateOptions {
  /** Promote the candidate even if it does not beat the active version (recorded as forced). */
  force?: boolean;
  /**
   * The level the candidate's exact McNemar p-value against the active version must reach to be
   * promoted (see `decidePromotion`). Default `DEFAULT_PROMOTION_ALPHA` (0.05).
   */
  alpha?: number;
  /** Who trained it, for the audit event. Default: the system. */
  actor?: Actor;
  /**
   * `holdout-free`: serve the fit trained without the holdout (when there is one), so that labels
   * of held-out texts are fair evidence about the model that answers: what a certificate at
   * promotion needs. Costs the holdout's share of the training data. Default `all-examples`.
   */
  serve?: ServedFit;
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
  const { seeds, human } = await loadLabelledRows(db, agent);
  const allowed = new Set(labels);
  const byText = new Map<string, string>();
  for (const s of seeds) if (allowed.has(s.label)) byText.set(s.text, s.label);
  for (const h of human)
    if (h.input_text !== null && allowed.has(h.human_label)) byText.set(h.input_text, h.human_label);
  return [...byText].map(([text, label]) => ({ text, label }));
}

/**
 * The labels to train an agent on when none are given: those its active model knows, else every
 * label of its seed examples and human labels, in order of first appearance. Empty when the agent
 * has neither.
 *
 * @example
 * await trainingLabels(db, 'refunds'); // ['refund', 'shipping', 'other']
 */
export async function trainingLabels(db: Db, agent: string): Promise<string[]> {
  const active = await findActiveLocalModel(db, agent);
  if (active) return [...active.classifier.labels];
  const { seeds, human } = await loadLabelledRows(db, agent);
  return [...new Set([...seeds.map((s) => s.label), ...human.map((h) => h.human_label)])];
}

/**
 * Trains a new version of the agent's built-in model and makes it the active one, whatever its
 * holdout accuracy: for first use and for a request offering labels the active model does not know,
 * where the active model cannot serve. The comparison with the previous version is recorded all the
 * same (`metrics`, audit event `model.trained`). `trainLocalModelCandidate` promotes only a better
 * model. Throws `AI_UNAVAILABLE` when the agent has no examples at all.
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
  const { candidate } = await trainVersion(db, agent, labels, {
    force: true,
    forceReason: 'trainLocalModel activates every version it trains',
    onlyIfNone: options.onlyIfNone ?? false,
    actor: options.actor ?? SYSTEM,
  });
  return candidate;
}

/**
 * Trains a candidate version on the agent's current examples (see `loadTrainingExamples`) and
 * promotes it only if it beats the active version: both are evaluated on the candidate's
 * deterministic holdout (`isHoldout`), each with its model trained without that holdout, and an
 * exact one-sided McNemar test on their paired outcomes must give p <= `alpha` (`decidePromotion`).
 * The candidate is stored either way, its `metrics` recording the comparison and the test, and the
 * audit event `model.trained` goes to the `config` stream in the same transaction. Trainers of one agent are serialised by an advisory lock,
 * so each compares with whatever the previous one left active. Throws `AI_UNAVAILABLE` when the
 * agent has no examples with these labels.
 *
 * @example
 * const { candidate, baseline } = await trainLocalModelCandidate(db, 'refunds', ['refund', 'other']);
 * candidate.metrics;
 * // { holdoutAccuracy: 0.91, baselineVersion: 3, baselineAccuracy: 0.87, promoted: true,
 * //   mcnemar: { b: 9, c: 1, pValue: 0.0107, alpha: 0.05 }, reason: 'beats v3 ...', ... }
 */
export async function trainLocalModelCandidate(
  db: Db,
  agent: string,
  labels: readonly string[],
  options: TrainLocalModelCandidateOptions = {},
): Promise<LocalModelTraining> {
  return trainVersion(db, agent, labels, {
    force: options.force ?? false,
    forceReason: 'force',
    onlyIfNone: false,
    actor: options.actor ?? SYSTEM,
    ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
    serve: options.serve ?? 'all-examples',
  });
}

async function trainVersion(
  db: Db,
  agent: string,
  labels: readonly string[],
  options: {
    force: boolean;
    forceReason: string;
    onlyIfNone: boolean;
    actor: Actor;
    alpha?: number;
    serve?: ServedFit;
  },
): Promise<LocalModelTraining> {
  const examples = await loadTrainingExamples(db, agent, labels);
  if (examples.length === 0) {
    throw new AppError('AI_UNAVAILABLE', `no training examples for agent "${agent}" with labels ${labels.join(', ')}`);
  }
  // Training is the slow part and needs no lock; the comparison must see what is active now.
  const candidate = trainCandidate(examples, labels);
  return inTransaction(db, async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`signoff.local_models:${agent}`}, 0))`.execute(trx);
    const active = await findActiveForComparison(trx, agent);
    if (options.onlyIfNone && active) return { candidate: active.model, baseline: undefined };
    const baseline = active && evaluateBaseline(active, candidate);
    const decision = decidePromotion(
      { outcomes: candidate.outcomes, holdoutSize: candidate.holdout.length },
      baseline,
      {
        force: options.force,
        forceReason: options.forceReason,
        ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
      },
    );
    const metrics: LocalModelMetrics = {
      ...candidate.metrics,
      baselineVersion: baseline?.version ?? null,
      baselineAccuracy: decision.baselineAccuracy,
      promoted: decision.promoted,
      forced: decision.forced,
      reason: decision.reason,
      mcnemar: decision.mcnemar,
      serves: options.serve === 'holdout-free' && candidate.evaluation ? 'holdout-free' : 'all-examples',
    };
    const stored = await storeVersion(trx, agent, candidate, metrics);
    await appendAudit(trx, {
      actor: options.actor,
      action: 'model.trained',
      data: {
        agent,
        modelId: stored.id,
        version: stored.version,
        labels: [...labels],
        exampleCount: candidate.exampleCount,
        ...metrics,
        activeVersion: decision.promoted ? stored.version : (active?.model.version ?? null),
      },
    });
    return {
      candidate: stored,
      baseline: active && { ...active.model, active: !decision.promoted },
    };
  });
}

interface ComparableModel {
  model: TrainedLocalModel;
  classifier: TextClassifier;
  holdoutFree: boolean;
}

function evaluateBaseline(active: ComparableModel, candidate: LocalModelCandidate): PromotionBaseline {
  return {
    version: active.model.version,
    outcomes: holdoutOutcomes(active.classifier, candidate.holdout, candidate.labels),
    holdoutFree: active.holdoutFree,
  };
}

/** The active version with the classifier to compare: its holdout-free one when stored. */
async function findActiveForComparison(trx: Transaction<DB>, agent: string): Promise<ComparableModel | undefined> {
  const row = await trx
    .selectFrom('local_models')
    .select(['id', 'agent', 'version', 'example_count', 'metrics', 'active', 'params', 'eval_params'])
    .where('agent', '=', agent)
    .where('active', '=', true)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    model: toTrainedLocalModel(row),
    classifier: classifierFromJSON(row.eval_params ?? row.params),
    holdoutFree: row.eval_params !== null,
  };
}

async function storeVersion(
  trx: Transaction<DB>,
  agent: string,
  candidate: LocalModelCandidate,
  metrics: LocalModelMetrics,
): Promise<TrainedLocalModel> {
  // At most one active version per agent (a unique index): step down before the new one steps up.
  if (metrics.promoted) {
    await trx
      .updateTable('local_models')
      .set({ active: false })
      .where('agent', '=', agent)
      .where('active', '=', true)
      .execute();
  }
  const served = metrics.serves === 'holdout-free' && candidate.evaluation ? candidate.evaluation : candidate.final;
  const params = JSON.stringify(served.toJSON());
  const evalParams = candidate.evaluation ? JSON.stringify(candidate.evaluation.toJSON()) : null;
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
        params,
        eval_params: evalParams,
        example_count: candidate.exampleCount,
        metrics: JSON.stringify(metrics),
        active: metrics.promoted,
      })
      .onConflict((oc) => oc.columns(['agent', 'version']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) {
      return { id: row.id, agent, version, exampleCount: candidate.exampleCount, metrics, active: metrics.promoted };
    }
  }
  throw new AppError('CONFLICT', `could not allocate a new local model version for agent "${agent}"`);
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
    .select(['id', 'agent', 'version', 'params', 'example_count', 'metrics', 'active'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return { ...toTrainedLocalModel(row), classifier: classifierFromJSON(row.params) };
}

function toTrainedLocalModel(row: {
  id: string;
  agent: string;
  version: number;
  example_count: number;
  metrics: Record<string, unknown>;
  active: boolean;
}): TrainedLocalModel {
  return {
    id: row.id,
    agent: row.agent,
    version: row.version,
    exampleCount: row.example_count,
    // Versions stored before promotion existed were all activated when trained.
    metrics: {
      baselineVersion: null,
      baselineAccuracy: null,
      promoted: true,
      forced: false,
      reason: 'trained before promotions were recorded',
      mcnemar: null,
      ...row.metrics,
    } as LocalModelMetrics,
    active: row.active,
  };
}

async function loadLabelledRows(db: Db, agent: string) {
  const seeds = await db
    .selectFrom('seed_examples')
    .select(['text', 'label'])
    .where('agent', '=', agent)
    .orderBy('id')
    .execute();
  const human = await finalHumanLabels(db, agent);
  return { seeds, human };
}

async function inTransaction<T>(db: Db, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<DB>) : db.transaction().execute(fn);
}
