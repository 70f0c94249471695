// Training an agent's built-in model when certified states depend on it: the promoted version
// serves the fit its holdout measured, and is certified and calibrated at promotion on the fair
// labels of held-out texts, so it never auto-accepts on raw scores by accident.
import {
  findLocalModel,
  isHoldout,
  type LocalModelTraining,
  localModelIdentity,
  trainLocalModelCandidate,
} from '@signoff/ai';
import type { DB } from '@signoff/db';
import type { Actor } from '@signoff/governance';
import type { Kysely } from 'kysely';
import { certifyPromotedModel, type PromotionCertification } from './certify-promotion';
import { type DecisionKey, latestDecisionKey } from './fair-labels';
import { listPoliciesInForce } from './policies';

export interface CertifiedTraining {
  training: LocalModelTraining;
  /** The certified states whose latest decisions this agent made. */
  certifiedStates: DecisionKey[];
  /** One per certified state, when the candidate was promoted and could be certified. */
  certifications: PromotionCertification[];
  /** Why nothing was certified at promotion although certified states depend on the agent. */
  notCertified: string | null;
}

/**
 * Trains a candidate of `agent`'s built-in model (`trainLocalModelCandidate`). When certified
 * states depend on the agent, the candidate serves its holdout-free fit (trained without the texts
 * its promotion test held out), and a promoted candidate is certified and calibrated on the fair
 * labels of those held-out texts (`certifyPromotedModel`): evidence about the very model that
 * answers, which the fit with the holdout folded in could not give. Without certified states it
 * trains as before, on every example.
 *
 * @example
 * const r = await trainCertified(db, { agent: 'refunds', labels: ['refund', 'other'], actor });
 * r.certifications[0]?.certificateId; // the new version's certificate, applied, or null
 */
export async function trainCertified(
  db: Kysely<DB>,
  input: { agent: string; labels: readonly string[]; actor: Actor; force?: boolean; alpha?: number },
): Promise<CertifiedTraining> {
  const certifiedStates: DecisionKey[] = [];
  for (const p of await listPoliciesInForce(db)) {
    if (p.field) continue;
    const key = await latestDecisionKey(db, p.workflow, p.state);
    if (key?.agent === input.agent) certifiedStates.push(key);
  }
  const training = await trainLocalModelCandidate(db, input.agent, input.labels, {
    force: input.force ?? false,
    actor: input.actor,
    serve: certifiedStates.length > 0 ? 'holdout-free' : 'all-examples',
    ...(input.alpha === undefined ? {} : { alpha: input.alpha }),
  });
  const none = (notCertified: string | null): CertifiedTraining => ({
    training,
    certifiedStates,
    certifications: [],
    notCertified,
  });
  if (certifiedStates.length === 0) return none(null);
  if (!training.candidate.active)
    return none('the candidate was not promoted: the version in force keeps its certificate');
  if (training.candidate.metrics.serves !== 'holdout-free')
    return none(
      'every example is held out, so no fit was trained without the holdout: the new version auto-accepts nothing until its own fair labels certify it',
    );
  const stored = await findLocalModel(db, training.candidate.id);
  if (!stored) return none(`version ${training.candidate.version} is no longer stored`);
  const { modelVersion } = localModelIdentity(stored.classifier.kind, stored.version);
  const labels = [...input.labels];
  const certifications = await certifyPromotedModel(db, {
    agent: input.agent,
    modelVersion,
    // What the local provider reports: the probability of the predicted label.
    confidenceMethod: 'posterior',
    scorer: (text) => {
      const p = stored.classifier.predict(text, labels);
      return { label: p.label, score: p.score, confidence: p.probabilities[p.label] ?? 0 };
    },
    isHeldOut: isHoldout,
    actor: input.actor,
  });
  return { training, certifiedStates, certifications, notCertified: null };
}
