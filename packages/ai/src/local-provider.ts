import { AppError, isAppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { createLocalExtractor } from './local-extractor';
import { findActiveLocalModelRef, findLocalModel, type StoredLocalModel, trainLocalModel } from './local-model';
import { inputHash, promptVersion } from './prompt-version';
import type { DecideRequest, DecideResult, DecisionProvider } from './provider';
import { LOCAL_MODEL_IDENTITIES, localModelIdentity } from './stored-classifier';

/**
 * The `model` recorded with decisions of the built-in model's versions trained now (softmax
 * regression, `modelVersion` `lr-v<version>`). Versions stored before it answer as
 * `signoff-local-nb` (`nb-v<version>`): see `localModelIdentity`.
 */
export const LOCAL_MODEL_NAME = LOCAL_MODEL_IDENTITIES['softmax-regression'].model;

export interface LocalProviderOptions {
  /** How long a process trusts its cached idea of an agent's active version. Default 5000 ms. */
  refreshMs?: number;
  /** Clock in milliseconds; tests pass their own to cross `refreshMs` without sleeping. */
  now?: () => number;
}

interface AgentCacheEntry {
  modelId: string;
  checkedAt: number;
}

/**
 * The built-in provider: each agent's active model from `local_models` (softmax regression; naive
 * Bayes for versions stored before it), trained on seed examples and human labels. Models are
 * cached in memory by id; whether a newer version became active is asked of the database at most
 * every `refreshMs`. An agent with no model gets v1 trained on first use; a request offering a label
 * the model has never heard of triggers a retrain that includes it. Confidence is the posterior
 * probability of the predicted label among the request's labels (method `posterior`); `score` is
 * its log-odds, from the logits, never rounded.
 *
 * @example
 * const local = createLocalProvider();
 * const r = await local.decide(db, {
 *   agent: { name: 'refunds', instructions: 'Is this a refund request?' },
 *   labels: ['refund', 'other'],
 *   text: 'I want my money back',
 * });
 * r.modelVersion; // 'lr-v1'
 * r.score; // e.g. 2.7: ln(P(label) / (1 - P(label)))
 */
export function createLocalProvider(options: LocalProviderOptions = {}): DecisionProvider {
  const refreshMs = options.refreshMs ?? 5000;
  const now = options.now ?? Date.now;
  const models = new Map<string, StoredLocalModel>();
  const agents = new Map<string, AgentCacheEntry>();
  // Concurrent decisions for one agent share one lookup (and at most one training run).
  const resolving = new Map<string, Promise<StoredLocalModel>>();
  const extractor = createLocalExtractor({ refreshMs, now });

  async function load(db: Kysely<DB>, id: string): Promise<StoredLocalModel> {
    const cached = models.get(id);
    if (cached) return cached;
    const model = await findLocalModel(db, id);
    if (!model) throw new AppError('AI_UNAVAILABLE', `local model ${id} disappeared while loading it`);
    models.set(id, model);
    return model;
  }

  async function lookUp(db: Kysely<DB>, agent: string, labels: readonly string[]): Promise<StoredLocalModel> {
    const ref =
      (await findActiveLocalModelRef(db, agent)) ?? (await trainLocalModel(db, agent, labels, { onlyIfNone: true }));
    let model = await load(db, ref.id);
    const missing = labels.filter((l) => !model.classifier.labels.includes(l));
    if (missing.length > 0) {
      // Keep the labels the model knew, so two workflows sharing an agent do not retrain in turn.
      const trained = await trainLocalModel(db, agent, [...model.classifier.labels, ...missing]);
      model = await load(db, trained.id);
    }
    const previous = agents.get(agent);
    if (previous && previous.modelId !== model.id) models.delete(previous.modelId);
    agents.set(agent, { modelId: model.id, checkedAt: now() });
    return model;
  }

  function activeModel(db: Kysely<DB>, agent: string, labels: readonly string[]): Promise<StoredLocalModel> {
    const entry = agents.get(agent);
    const cached = entry && models.get(entry.modelId);
    if (
      entry &&
      cached &&
      now() - entry.checkedAt < refreshMs &&
      labels.every((l) => cached.classifier.labels.includes(l))
    ) {
      return Promise.resolve(cached);
    }
    const key = `${agent}\u0000${labels.join('\u0000')}`;
    let pending = resolving.get(key);
    if (!pending) {
      pending = lookUp(db, agent, labels).finally(() => resolving.delete(key));
      resolving.set(key, pending);
    }
    return pending;
  }

  return {
    name: 'local',
    extract: (db, req) => extractor.extract(db, req),
    async decide(db: Kysely<DB>, req: DecideRequest): Promise<DecideResult> {
      const started = performance.now();
      if (req.signal?.aborted) {
        throw new AppError('AI_UNAVAILABLE', `local decision for agent "${req.agent.name}" aborted by the caller`, {
          cause: req.signal.reason,
        });
      }
      const model = await activeModel(db, req.agent.name, req.labels);
      let prediction: ReturnType<typeof model.classifier.predict>;
      try {
        prediction = model.classifier.predict(req.text, req.labels);
      } catch (e) {
        if (!isAppError(e, 'BAD_INPUT')) throw e;
        throw new AppError(
          'AI_UNAVAILABLE',
          `local model v${model.version} of agent "${req.agent.name}" has no examples for any of ${req.labels.join(', ')}`,
          { cause: e },
        );
      }
      const confidence = prediction.probabilities[prediction.label] ?? 0;
      const evidence = model.classifier.evidence(req.text, prediction.label);
      const kind = model.classifier.kind === 'naive-bayes' ? 'Naive Bayes' : 'Logistic regression';
      return {
        label: prediction.label,
        rationale:
          `${kind} v${model.version} (${model.exampleCount} examples): P(${prediction.label}) = ${confidence.toFixed(3)}, log-odds ${prediction.score.toFixed(2)}` +
          (evidence.length > 0 ? `; words for it: ${evidence.map((w) => `"${w}"`).join(', ')}` : ''),
        confidence,
        score: prediction.score,
        confidenceMethod: 'posterior',
        costUsd: 0,
        provider: 'local',
        ...localModelIdentity(model.classifier.kind, model.version),
        promptVersion: promptVersion(req.agent.instructions, req.labels),
        inputHash: inputHash(req.text),
        latencyMs: Math.round(performance.now() - started),
      };
    },
  };
}
