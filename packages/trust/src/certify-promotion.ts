// A newly promoted model version gets its certificate and calibrator at promotion, from fair labels
// of its predecessors' decisions that it did not train on, re-scored by it. It is never
// auto-accepted on raw scores by accident: without a passing certificate its decisions go to people.
import { type CalibrationKey, type FittedCalibration, fitCalibrationOnPoints } from '@signoff/ai';
import { isAppError, rankingScore } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Actor } from '@signoff/governance';
import { type Kysely, sql } from 'kysely';
import { type Certification, certifyThreshold } from './certification';
import { DEFAULT_WINDOW_DAYS, storeCertificate } from './certify-state';
import { type DecisionKey, latestDecisionKey, type Window } from './fair-labels';
import { applyCertificate, listPoliciesInForce, type PolicyVersion } from './policies';

/** The promoted model, in-process: its answer to a text, with the score and confidence. */
export type Scorer = (text: string) => { label: string; score: number; confidence: number };

export interface PromotionCertification {
  key: DecisionKey;
  /** Fair labels it was certified on: held out of its training, re-scored by it. */
  heldOutDecisions: number;
  heldOutLabels: number;
  certification: Certification;
  certificateId: string | null;
  applied: PolicyVersion | null;
  calibration: FittedCalibration | null;
  /** Why no calibrator was fitted, when none was. */
  calibrationSkipped: string | null;
}

/**
 * For every certified state whose decisions this agent makes: takes the state's decisions in the
 * window (of any model version) whose audit probability is recorded and whose text the new version
 * did not train on (`isHeldOut`: a split by text, so a random part of the population), re-scores
 * them with the new version, and certifies a threshold on them for the new version's key. A
 * certificate that passes is applied unless a person paused the state. A calibrator for the new
 * key is fitted on the same labels (and activated only if it helps significantly).
 *
 * @example
 * const reports = await certifyPromotedModel(db, { agent, modelVersion: 'lr-v4', confidenceMethod: 'posterior',
 *   scorer: (text) => classifier.predict(text), isHeldOut: isHoldout, actor });
 */
export async function certifyPromotedModel(
  db: Kysely<DB>,
  input: {
    agent: string;
    modelVersion: string;
    confidenceMethod: string;
    scorer: Scorer;
    isHeldOut: (text: string) => boolean;
    actor: Actor;
    window?: Partial<Window>;
  },
): Promise<PromotionCertification[]> {
  const out: PromotionCertification[] = [];
  const to = input.window?.to ?? new Date();
  const window = { from: input.window?.from ?? new Date(to.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000), to };
  for (const policy of await listPoliciesInForce(db)) {
    // A certified field is scored by an extractor, not by a trained classifier's promotion.
    if (policy.field) continue;
    const latest = await latestDecisionKey(db, policy.workflow, policy.state);
    if (latest?.agent !== input.agent) continue;
    const key: DecisionKey = { ...latest, modelVersion: input.modelVersion, confidenceMethod: input.confidenceMethod };
    const rows = await sql<{
      label_id: string | null;
      input_text: string;
      probability: number;
      human_label: string | null;
    }>`
      SELECT lab.id AS label_id, d.input_text, d.audit_probability AS probability, lab.human_label
        FROM decisions d
        JOIN items i ON i.id = d.item_id
        LEFT JOIN LATERAL (
          SELECT l.id, l.human_label FROM labels l WHERE l.decision_id = d.id AND l.final
           ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1
        ) lab ON true
       WHERE i.workflow_name = ${policy.workflow} AND d.state = ${policy.state} AND d.agent = ${input.agent}
         AND d.audit_probability IS NOT NULL AND d.prompt_version = ${key.promptVersion}
         AND d.created_at >= ${window.from} AND d.created_at < ${window.to}`.execute(db);
    const heldOut = rows.rows.filter((r) => input.isHeldOut(r.input_text));
    const scored = heldOut.map((r) => {
      const answer = input.scorer(r.input_text);
      return { r, answer, wrong: r.human_label === null ? undefined : answer.label !== r.human_label };
    });
    const certification = certifyThreshold(
      scored.map((s) => ({
        score: rankingScore(s.answer.score, s.answer.confidence),
        probability: s.r.probability,
        wrong: s.wrong,
      })),
      { maxError: policy.maxError, delta: 1 - policy.confidence },
    );
    const labelled = scored.filter((s) => s.wrong !== undefined);
    const certificateId = await storeCertificate(db, {
      key,
      policy,
      certification,
      window,
      decisions: scored.length,
      fairLabels: labelled.length,
      actor: input.actor,
      scoring: `re-scored at promotion by ${input.modelVersion}: the decisions of its predecessors whose text it did not train on`,
    });
    const applied =
      certificateId && policy.status !== 'paused'
        ? await applyCertificate(
            db,
            certificateId,
            input.actor,
            `model version ${input.modelVersion} promoted by training, certified on the held-out fair labels`,
          )
        : null;
    const calibrationKey: CalibrationKey = {
      agent: input.agent,
      modelVersion: input.modelVersion,
      confidenceMethod: input.confidenceMethod,
      promptVersion: key.promptVersion,
    };
    let calibration: FittedCalibration | null = null;
    let calibrationSkipped: string | null = null;
    try {
      calibration = await fitCalibrationOnPoints(
        db,
        calibrationKey,
        labelled.map((s) => ({ id: s.r.label_id as string, p: s.answer.confidence, correct: !s.wrong })),
        { actor: input.actor },
      );
    } catch (e) {
      if (!isAppError(e, 'BAD_INPUT')) throw e;
      calibrationSkipped = e.message;
    }
    out.push({
      key,
      heldOutDecisions: scored.length,
      heldOutLabels: labelled.length,
      certification,
      certificateId,
      applied,
      calibration,
      calibrationSkipped,
    });
  }
  return out;
}
