// Policy-history fixtures: a certificate as `signoff certify` would store it, and audit samples that
// make the drift guard pause auto-accept, without running hundreds of items through workers.
import type { DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import type { Kysely } from 'kysely';

/** Stores a certificate for a state (audited `certificate.issued`, as `storeCertificate` does) and returns its id. */
export async function insertCertificate(
  db: Kysely<DB>,
  c: { workflow: string; state: string; threshold: number; modelVersion: string; actor: Actor },
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('certificates')
      .values({
        workflow_name: c.workflow,
        state: c.state,
        agent: 'policy-agent',
        model_version: c.modelVersion,
        confidence_method: 'posterior',
        prompt_version: 'p1',
        max_error: 0.05,
        confidence: 0.95,
        threshold: c.threshold,
        labels_used: 120,
        wrong_used: 1,
        upper_bound: 0.0391,
        expected_automation: 0.42,
        evidence: JSON.stringify({ curve: [] }),
        window_from: new Date('2026-01-01T00:00:00Z'),
        window_to: new Date('2026-03-01T00:00:00Z'),
        created_by: JSON.stringify(c.actor),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      actor: c.actor,
      action: 'certificate.issued',
      data: { certificateId: row.id, workflow: c.workflow, state: c.state, threshold: c.threshold },
    });
    return row.id;
  });
}

/**
 * Audit samples under a certificate in force, every one found wrong by a reviewer: enough for the
 * drift guard (`evaluateDriftGuards`) to pause auto-accept at a 5% target.
 */
export async function insertWrongAuditSamples(
  db: Kysely<DB>,
  s: {
    workflow: string;
    state: string;
    policyVersionId: string;
    certificateId: string;
    reviewerId: string;
    count: number;
  },
): Promise<void> {
  const version = await db
    .selectFrom('workflow_versions')
    .select('id')
    .where('name', '=', s.workflow)
    .orderBy('version', 'desc')
    .executeTakeFirstOrThrow();
  for (let i = 0; i < s.count; i++) {
    const item = await db
      .insertInto('items')
      .values({ workflow_name: s.workflow, workflow_version_id: version.id, input: '{}', status: 'succeeded' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const run = await db
      .insertInto('state_runs')
      .values({
        item_id: item.id,
        state: s.state,
        visit: 1,
        kind: 'decide',
        status: 'done',
        output: null,
        next_state: null,
        started_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const decision = await db
      .insertInto('decisions')
      .values({
        item_id: item.id,
        state_run_id: run.id,
        state: s.state,
        agent: 'policy-agent',
        provider: 'local',
        model: 'local',
        model_version: 'lr-v1',
        prompt_version: 'p1',
        input_hash: `h${i}`,
        input_text: `sample ${i}`,
        output: JSON.stringify({ label: 'yes' }),
        label: 'yes',
        confidence: 0.99,
        confidence_method: 'posterior',
        calibrated_confidence: 0.99,
        route: 'sampled',
        latency_ms: 1,
        tokens_in: null,
        tokens_out: null,
        score: 5,
        audit_probability: 0.05,
        threshold: 2,
        policy_version_id: s.policyVersionId,
        certificate_id: s.certificateId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('labels')
      .values({
        item_id: item.id,
        state: s.state,
        decision_id: decision.id,
        review_id: null,
        workflow_name: s.workflow,
        workflow_version_id: version.id,
        agent: 'policy-agent',
        model: 'local',
        model_version: 'lr-v1',
        prompt_version: 'p1',
        input_text: `sample ${i}`,
        ai_label: 'yes',
        ai_confidence: 0.99,
        human_label: 'no',
        is_correction: true,
        reason: null,
        reviewer_id: s.reviewerId,
        // A label needs a review or an adjudication: these are a lead's answers to the samples.
        adjudicated: true,
      })
      .execute();
  }
}
