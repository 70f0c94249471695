// Policy-history fixtures: a certificate as `signoff certify` would store it, and audit samples that
// make the drift guard pause auto-accept, without running hundreds of items through workers.
import { defineWorkflow, type WorkflowContext } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import { applyCertificate, evaluateDriftGuards, findPolicyInForce } from '@signoff/trust';
import type { Kysely } from 'kysely';
import { z } from 'zod';

type Ctx = WorkflowContext<{ amount: number }>;
const input = z.object({ amount: z.number() });
/** The decide state of both workflows, but for its policy. */
const classifier = {
  kind: 'decide' as const,
  agent: { name: 'policy-agent', instructions: 'Is it a refund?' },
  labels: ['yes', 'no'],
  text: (c: Ctx) => String(c.input.amount),
};
const large = { name: 'large', when: (c: Ctx) => c.input.amount > 1000, reason: 'Large refund' };
const vip = { name: 'vip', when: (c: Ctx) => c.input.amount > 5000, reason: 'VIP customer', queue: 'vip' };

/** The refunds workflow: version 1, and version 2 with a higher threshold, a new risk rule and more QA sampling. */
export function refunds(v: 1 | 2) {
  return defineWorkflow({
    name: 'policy-refunds',
    ...(v === 2 ? { changeNote: 'Q3 audit: stricter refunds, VIPs to their own queue' } : {}),
    input,
    start: 'classify',
    states: {
      classify: {
        ...classifier,
        policy: {
          autoAcceptAt: v === 1 ? 0.8 : 0.85,
          sampleRate: v === 1 ? 0.1 : 0.2,
          queue: 'refunds',
          risks: v === 1 ? [large] : [large, vip],
        },
        next: 'check',
      },
      check: { kind: 'review', queue: 'refunds', labels: ['ok', 'not ok'], instructions: 'Check it', next: 'done' },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
}

/** A certified decide state: auto-accepts nothing until a certificate is applied. */
export const certified = defineWorkflow({
  name: 'policy-certified',
  input,
  start: 'classify',
  states: {
    classify: {
      ...classifier,
      policy: { autoAccept: { maxError: 0.05, confidence: 0.95 }, sampleRate: 0.05, queue: 'refunds' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

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

/**
 * A policy history to look at: policy-refunds registered twice (deployed by release-bot, version 2
 * with its note), and policy-certified's certificate issued and applied by `userId`, then paused by
 * the drift guard after 12 wrong audit samples. Returns the certificate's id.
 */
export async function seedPolicyHistory(
  db: Kysely<DB>,
  registry: { register(db: Kysely<DB>, d: ReturnType<typeof refunds>): Promise<unknown> },
  userId: string,
): Promise<string> {
  await registry.register(db, refunds(1));
  await registry.register(db, refunds(2));
  await registry.register(db, certified);
  const user: Actor = { type: 'user', id: userId };
  const certificateId = await insertCertificate(db, {
    workflow: 'policy-certified',
    state: 'classify',
    threshold: 2.5,
    modelVersion: 'lr-v1',
    actor: user,
  });
  await applyCertificate(db, certificateId, user, 'Q3 fair labels are in');
  const inForce = await findPolicyInForce(db, 'policy-certified', 'classify');
  await insertWrongAuditSamples(db, {
    workflow: 'policy-certified',
    state: 'classify',
    policyVersionId: inForce?.id as string,
    certificateId,
    reviewerId: userId,
    count: 12,
  });
  await evaluateDriftGuards(db);
  return certificateId;
}
