// The drift guard: after a certificate is in force, its audit samples keep arriving; a betting
// e-process over them pauses auto-accept as soon as the evidence says the error exceeds the target.
import { createHash } from 'node:crypto';
import type { DB } from '@signoff/db';
import type { Actor } from '@signoff/governance';
import { type Kysely, sql } from 'kysely';
import { alarmLevel, bettingEProcess } from './e-process';
import { fieldWrong } from './field-labels';
import { findPolicyInForce, listPoliciesInForce, type PolicyVersion, pausePolicy, pct } from './policies';

export interface GuardReport {
  policyVersionId: string;
  workflow: string;
  state: string;
  /** A certified field's guard; null for a state's. */
  field: string | null;
  samples: number;
  wrong: number;
  eValue: number;
  maxEValue: number;
  alarmAt: number;
  alarmed: boolean;
}

/** A uniform number in [0, 1) fixed by a decision's id: the thinning coin. */
function coin(decisionId: string): number {
  return createHash('sha256').update(`guard:${decisionId}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The guard's samples under a policy version: auto-accepted decisions drawn for audit under its
 * certificate, labelled, in the order they were labelled. Decisions audited at a higher rate
 * (just above the threshold) are thinned back to the base rate by a coin of their own, so the
 * samples are a uniform draw from everything auto-accepted.
 */
async function guardSamples(db: Kysely<DB>, policy: PolicyVersion): Promise<boolean[]> {
  const rows = policy.field ? await fieldGuardRows(db, policy, policy.field) : await stateGuardRows(db, policy);
  return rows
    .filter((r) => r.probability <= policy.auditRate || coin(r.id) < policy.auditRate / r.probability)
    .map((r) => r.wrong);
}

type GuardRow = { id: string; probability: number; wrong: boolean };

async function stateGuardRows(db: Kysely<DB>, policy: PolicyVersion): Promise<GuardRow[]> {
  const rows = await sql<GuardRow>`
    SELECT d.id, d.audit_probability AS probability, lab.human_label <> d.label AS wrong
      FROM decisions d
      JOIN LATERAL (
        SELECT l.human_label, l.created_at, l.id FROM labels l WHERE l.decision_id = d.id AND l.final
         ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1
      ) lab ON true
     WHERE d.policy_version_id = ${policy.id} AND d.certificate_id = ${policy.certificateId}
       AND d.route = 'sampled'
     ORDER BY lab.created_at, lab.id`.execute(db);
  return rows.rows;
}

/**
 * A certified field's samples: decisions record the state's policy version, not each field's, so
 * they are found as the field's certificate defines them: auto-accepted (so every certified field
 * passed its gate) and drawn for audit since this policy version took effect, of the certificate's
 * agent, model version, prompt and field method, with the field scoring at or above its threshold;
 * wrong when the reviewer changed the field. A decision routed in the policy cache's few seconds
 * before this version still scored at or above its threshold under the same certificate key, so it
 * belongs to the population the certificate covers.
 */
async function fieldGuardRows(db: Kysely<DB>, policy: PolicyVersion, field: string): Promise<GuardRow[]> {
  const cert = await db
    .selectFrom('certificates')
    .select(['agent', 'model_version', 'confidence_method', 'prompt_version', 'threshold'])
    .where('id', '=', policy.certificateId as string)
    .executeTakeFirstOrThrow();
  const rows = await sql<GuardRow & { changed_fields: string[] }>`
    SELECT d.id, d.audit_probability AS probability, lab.changed_fields
      FROM decisions d
      JOIN items i ON i.id = d.item_id
      JOIN LATERAL (
        SELECT l.changed_fields, l.created_at, l.id FROM labels l
         WHERE l.decision_id = d.id AND l.final AND l.changed_fields IS NOT NULL
         ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1
      ) lab ON true
     WHERE i.workflow_name = ${policy.workflow} AND d.state = ${policy.state} AND d.route = 'sampled'
       AND d.created_at >= ${policy.createdAt}
       AND d.agent = ${cert.agent} AND d.model_version = ${cert.model_version}
       AND d.prompt_version = ${cert.prompt_version}
       AND d.output->'fields'->${field}->>'method' = ${cert.confidence_method}
       AND jsonb_typeof(d.output->'fields'->${field}->'score') = 'number'
       AND (d.output->'fields'->${field}->>'score')::float8 >= ${cert.threshold}
     ORDER BY lab.created_at, lab.id`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    probability: r.probability,
    wrong: fieldWrong(r.changed_fields, field) === true,
  }));
}

/**
 * Evaluates the guard of every certified policy in force: recomputes its e-process from its audit
 * samples (the same samples give the same wealth, so any worker may do it at any time), keeps it
 * in `drift_guards`, and when it reaches 1/delta pauses auto-accept: a new policy version, audited,
 * after which everything goes to review until a person resumes it or a new certificate is applied.
 *
 * @example
 * const reports = await evaluateDriftGuards(db);
 * reports.filter((r) => r.alarmed);
 */
/** Who pauses auto-accept when the evidence says so: the drift guard, named in the policy history. */
export const DRIFT_GUARD: Actor = { type: 'system', id: 'drift-guard' };

export async function evaluateDriftGuards(db: Kysely<DB>, actor: Actor = DRIFT_GUARD): Promise<GuardReport[]> {
  const reports: GuardReport[] = [];
  for (const policy of await listPoliciesInForce(db)) {
    if (policy.status !== 'certified' || !policy.certificateId) continue;
    const samples = await guardSamples(db, policy);
    const e = bettingEProcess(samples, policy.maxError);
    const alarmAt = alarmLevel(1 - policy.confidence);
    const alarmed = e.maxEValue >= alarmAt;
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('drift_guards')
        .values({
          policy_version_id: policy.id,
          samples: e.samples,
          wrong: e.wrong,
          e_value: e.maxEValue,
          alarm_at: alarmAt,
          alarmed_at: alarmed ? new Date() : null,
        })
        .onConflict((oc) =>
          oc.column('policy_version_id').doUpdateSet({
            samples: e.samples,
            wrong: e.wrong,
            e_value: e.maxEValue,
            alarm_at: alarmAt,
            alarmed_at: sql`COALESCE(drift_guards.alarmed_at, ${alarmed ? new Date() : null}::timestamptz)`,
            updated_at: sql`now()`,
          }),
        )
        .execute();
      if (!alarmed) return;
      const still = await findPolicyInForce(trx, policy.workflow, policy.state, policy.field);
      if (still?.id !== policy.id) return; // someone else paused or changed it meanwhile
      await pausePolicy(
        trx,
        policy.workflow,
        policy.state,
        `drift guard${policy.field ? ` (field "${policy.field}")` : ''}: after ${e.samples} audit samples (${e.wrong} wrong) the evidence against "at most ${pct(policy.maxError)} wrong" reached ${e.maxEValue.toFixed(1)} (alarm at ${alarmAt.toFixed(0)})`,
        actor,
        { guard: { samples: e.samples, wrong: e.wrong, eValue: e.maxEValue, alarmAt } },
        policy.field,
      );
    });
    reports.push({
      policyVersionId: policy.id,
      workflow: policy.workflow,
      state: policy.state,
      field: policy.field,
      samples: e.samples,
      wrong: e.wrong,
      eValue: e.eValue,
      maxEValue: e.maxEValue,
      alarmAt,
      alarmed,
    });
  }
  return reports;
}
