import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { labelsNeeded } from './bounds';
import { DEFAULT_WINDOW_DAYS } from './certify-state';
import { type DecisionKey, latestDecisionKey, loadScoredDecisions } from './fair-labels';
import { latestFieldDecisionKey, loadFieldDecisions } from './field-labels';
import { listPoliciesInForce, type PolicyVersion, pct } from './policies';

export interface StateTrust {
  policy: PolicyVersion;
  certificate: {
    id: string;
    threshold: number;
    agent: string;
    modelVersion: string;
    confidenceMethod: string;
    promptVersion: string;
    labelsUsed: number;
    wrongUsed: number;
    upperBound: number;
    expectedAutomation: number;
    createdAt: Date;
  } | null;
  guard: { samples: number; wrong: number; eValue: number; alarmAt: number; alarmedAt: Date | null } | null;
  /** Fair labels of the state's latest model version so far, against what a certificate needs at least. */
  progress: { key: DecisionKey; decisions: number; fairLabels: number; wrong: number; labelsNeeded: number } | null;
  /** Why it auto-accepts or does not, in words. */
  explanation: string;
}

/**
 * Every certified state and certified field (`policy.field`, after its state): its policy in force, certificate, drift guard and, for progress towards
 * a certificate, the fair labels of its latest model version. What the console's Trust screen and
 * `trust.states` show.
 */
export async function trustOverview(db: Kysely<DB>): Promise<StateTrust[]> {
  const out: StateTrust[] = [];
  for (const policy of await listPoliciesInForce(db)) {
    const cert = policy.certificateId
      ? await db.selectFrom('certificates').selectAll().where('id', '=', policy.certificateId).executeTakeFirst()
      : undefined;
    // A paused version has no guard of its own: show the guard of the version it paused, whose
    // alarm (or a person) paused it, so the evidence stays in view.
    const guard =
      (await db.selectFrom('drift_guards').selectAll().where('policy_version_id', '=', policy.id).executeTakeFirst()) ??
      (policy.status === 'paused'
        ? await db
            .selectFrom('drift_guards as g')
            .innerJoin('policy_versions as p', 'p.id', 'g.policy_version_id')
            .selectAll('g')
            .where('p.workflow_name', '=', policy.workflow)
            .where('p.state', '=', policy.state)
            .where('p.field', '=', policy.field ?? '')
            .where('p.version', '<', policy.version)
            .orderBy('p.version', 'desc')
            .limit(1)
            .executeTakeFirst()
        : undefined);
    const field = policy.field;
    const key = field
      ? await latestFieldDecisionKey(db, policy.workflow, policy.state, field)
      : await latestDecisionKey(db, policy.workflow, policy.state);
    let progress: StateTrust['progress'] = null;
    const needed = labelsNeeded(policy.maxError, 1 - policy.confidence);
    if (key) {
      const to = new Date();
      const window = { from: new Date(to.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000), to };
      const decisions = field
        ? await loadFieldDecisions(db, { ...key, field }, window)
        : await loadScoredDecisions(db, key, window);
      const fair = decisions.filter((d) => d.wrong !== undefined);
      progress = {
        key,
        decisions: decisions.length,
        fairLabels: fair.length,
        wrong: fair.filter((d) => d.wrong).length,
        labelsNeeded: needed,
      };
    }
    const of = field ? `Field "${field}": ` : '';
    const explanation =
      of +
      (policy.status === 'certified' && cert
        ? `Auto-accepting scores at or above ${cert.threshold.toPrecision(4)} of ${cert.model_version}: at most ${pct(policy.maxError)} wrong with ${pct(policy.confidence)} confidence, certified on ${cert.labels_used} fair labels`
        : policy.status === 'paused'
          ? `Auto-accept is paused; everything goes to review. ${policy.reason}`
          : `Not certified yet: everything goes to review. ${progress ? `${progress.fairLabels} fair labels so far of the ${needed} a certificate needs at the least (more when some are wrong).` : 'No decisions yet.'}`);
    out.push({
      policy,
      certificate: cert
        ? {
            id: cert.id,
            threshold: cert.threshold,
            agent: cert.agent,
            modelVersion: cert.model_version,
            confidenceMethod: cert.confidence_method,
            promptVersion: cert.prompt_version,
            labelsUsed: cert.labels_used,
            wrongUsed: cert.wrong_used,
            upperBound: cert.upper_bound,
            expectedAutomation: cert.expected_automation,
            createdAt: cert.created_at,
          }
        : null,
      guard: guard
        ? {
            samples: guard.samples,
            wrong: guard.wrong,
            eValue: guard.e_value,
            alarmAt: guard.alarm_at,
            alarmedAt: guard.alarmed_at,
          }
        : null,
      progress,
      explanation,
    });
  }
  return out;
}
