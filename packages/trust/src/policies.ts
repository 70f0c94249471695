// Policy versions of certified decide states: what is in force, since when, and every change to it
// (declared target, certificate applied, paused by the drift guard, resumed), audited.
import { AppError, DEFAULT_AUDIT_RATE, type DecideState, type WorkflowDefinition } from '@signoff/core';
import type { DB, PolicyStatus } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import { type Kysely, sql, type Transaction } from 'kysely';

type Db = Kysely<DB> | Transaction<DB>;

export interface PolicyVersion {
  id: string;
  workflow: string;
  state: string;
  version: number;
  maxError: number;
  confidence: number;
  auditRate: number;
  status: PolicyStatus;
  certificateId: string | null;
  reason: string;
  createdAt: Date;
}

/** The target a certified state declares, as its workflow defines it. */
export interface DeclaredTarget {
  workflow: string;
  state: string;
  maxError: number;
  confidence: number;
  auditRate: number;
}

/** The certified decide states of a workflow definition and their declared targets. */
export function declaredTargets(definition: WorkflowDefinition): DeclaredTarget[] {
  return Object.entries(definition.states).flatMap(([state, s]) => {
    if (s.kind !== 'decide') return [];
    const policy = (s as DecideState<unknown>).policy;
    if (!policy.autoAccept) return [];
    return [
      {
        workflow: definition.name,
        state,
        maxError: policy.autoAccept.maxError,
        confidence: policy.autoAccept.confidence,
        auditRate: policy.sampleRate ?? DEFAULT_AUDIT_RATE,
      },
    ];
  });
}

function toVersion(r: {
  id: string;
  workflow_name: string;
  state: string;
  version: number;
  max_error: number;
  confidence: number;
  audit_rate: number;
  status: PolicyStatus;
  certificate_id: string | null;
  reason: string;
  created_at: Date;
}): PolicyVersion {
  return {
    id: r.id,
    workflow: r.workflow_name,
    state: r.state,
    version: r.version,
    maxError: r.max_error,
    confidence: r.confidence,
    auditRate: r.audit_rate,
    status: r.status,
    certificateId: r.certificate_id,
    reason: r.reason,
    createdAt: r.created_at,
  };
}

/** The policy version in force for a state (its newest), or undefined. */
export async function findPolicyInForce(db: Db, workflow: string, state: string): Promise<PolicyVersion | undefined> {
  const row = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('workflow_name', '=', workflow)
    .where('state', '=', state)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toVersion(row) : undefined;
}

/** Every state's policy version in force. */
export async function listPoliciesInForce(db: Db): Promise<PolicyVersion[]> {
  const rows = await db
    .selectFrom('policy_versions as p')
    .selectAll('p')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('policy_versions as n')
            .select('n.id')
            .whereRef('n.workflow_name', '=', 'p.workflow_name')
            .whereRef('n.state', '=', 'p.state')
            .whereRef('n.version', '>', 'p.version'),
        ),
      ),
    )
    .orderBy('p.workflow_name')
    .orderBy('p.state')
    .execute();
  return rows.map(toVersion);
}

/** The history of a state's policy, newest first. */
export async function policyHistory(db: Db, workflow: string, state: string): Promise<PolicyVersion[]> {
  const rows = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('workflow_name', '=', workflow)
    .where('state', '=', state)
    .orderBy('version', 'desc')
    .execute();
  return rows.map(toVersion);
}

/** Serialises the changes of one state's policy. */
async function lockPolicy(trx: Transaction<DB>, workflow: string, state: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`policy:${workflow}:${state}`}, 727))`.execute(trx);
}

interface NewVersion {
  status: PolicyStatus;
  certificateId: string | null;
  reason: string;
  action: string;
  data?: Record<string, unknown>;
}

/** Appends a policy version (the one in force from now) and its audit event. */
async function appendVersion(
  trx: Transaction<DB>,
  target: DeclaredTarget,
  current: PolicyVersion | undefined,
  next: NewVersion,
  actor: Actor,
): Promise<PolicyVersion> {
  const row = await trx
    .insertInto('policy_versions')
    .values({
      workflow_name: target.workflow,
      state: target.state,
      version: (current?.version ?? 0) + 1,
      max_error: target.maxError,
      confidence: target.confidence,
      audit_rate: target.auditRate,
      status: next.status,
      certificate_id: next.certificateId,
      reason: next.reason,
      created_by: JSON.stringify(actor),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const version = toVersion(row);
  await appendAudit(trx, {
    actor,
    action: next.action,
    data: {
      workflow: target.workflow,
      state: target.state,
      policyVersionId: version.id,
      version: version.version,
      status: version.status,
      maxError: version.maxError,
      confidence: version.confidence,
      auditRate: version.auditRate,
      certificateId: version.certificateId,
      reason: version.reason,
      ...next.data,
    },
  });
  return version;
}

const sameTarget = (p: PolicyVersion, t: DeclaredTarget) =>
  p.maxError === t.maxError && p.confidence === t.confidence && p.auditRate === t.auditRate;

/**
 * Makes sure each certified state of a definition has a policy version for its declared target:
 * a first one, uncertified, when it has none; a new uncertified one when the target changed (a
 * certificate proves one target, not another). Called when a workflow version is registered.
 *
 * @example
 * await db.transaction().execute((trx) => declarePolicies(trx, definition, SYSTEM));
 */
export async function declarePolicies(
  trx: Transaction<DB>,
  definition: WorkflowDefinition,
  actor: Actor,
): Promise<PolicyVersion[]> {
  const out: PolicyVersion[] = [];
  for (const target of declaredTargets(definition)) {
    await lockPolicy(trx, target.workflow, target.state);
    const current = await findPolicyInForce(trx, target.workflow, target.state);
    if (current && sameTarget(current, target)) {
      out.push(current);
      continue;
    }
    const reason = current
      ? `target changed to at most ${pct(target.maxError)} wrong with ${pct(target.confidence)} confidence (audit ${pct(target.auditRate)}): a new certificate is needed`
      : `declared: at most ${pct(target.maxError)} wrong with ${pct(target.confidence)} confidence (audit ${pct(target.auditRate)}); nothing is auto-accepted until a certificate`;
    out.push(
      await appendVersion(
        trx,
        target,
        current,
        { status: 'uncertified', certificateId: null, reason, action: 'policy.declared' },
        actor,
      ),
    );
  }
  return out;
}

/**
 * Puts a certificate in force for its state: an audited policy change. The certificate must prove
 * the state's current target (its max error and confidence). `why` is the reason of the person (or
 * the process) applying it, recorded in the policy version's reason and its audit event (`note`);
 * the API and the CLI require one from a person.
 */
export async function applyCertificate(
  db: Kysely<DB>,
  certificateId: string,
  actor: Actor,
  why?: string,
): Promise<PolicyVersion> {
  const note = why?.trim() || null;
  return db.transaction().execute(async (trx) => {
    const cert = await trx.selectFrom('certificates').selectAll().where('id', '=', certificateId).executeTakeFirst();
    if (!cert) throw new AppError('NOT_FOUND', `No certificate ${certificateId}`);
    await lockPolicy(trx, cert.workflow_name, cert.state);
    const current = await findPolicyInForce(trx, cert.workflow_name, cert.state);
    if (!current)
      throw new AppError('CONFLICT', `"${cert.state}" of "${cert.workflow_name}" declares no certified auto-accept`);
    if (current.maxError !== cert.max_error || current.confidence !== cert.confidence)
      throw new AppError(
        'CONFLICT',
        `This certificate proves at most ${pct(cert.max_error)} at ${pct(cert.confidence)}; the state's target is ${pct(current.maxError)} at ${pct(current.confidence)}. Certify again.`,
      );
    return appendVersion(
      trx,
      toTarget(current),
      current,
      {
        status: 'certified',
        certificateId: cert.id,
        reason: `certificate applied: auto-accept scores >= ${cert.threshold.toPrecision(4)} of ${cert.agent} ${cert.model_version} (expected automation ${pct(cert.expected_automation)})${note ? `: ${note}` : ''}`,
        action: 'policy.certified',
        data: {
          threshold: cert.threshold,
          modelVersion: cert.model_version,
          previousCertificateId: current.certificateId,
          note,
        },
      },
      actor,
    );
  });
}

/** Pauses a state's auto-accept (the drift guard, or a person): everything goes to review. */
export async function pausePolicy(
  trx: Transaction<DB>,
  workflow: string,
  state: string,
  reason: string,
  actor: Actor,
  data: Record<string, unknown> = {},
): Promise<PolicyVersion> {
  await lockPolicy(trx, workflow, state);
  const current = await findPolicyInForce(trx, workflow, state);
  if (current?.status !== 'certified')
    throw new AppError('CONFLICT', `Auto-accept of "${state}" in "${workflow}" is not running, so it cannot be paused`);
  return appendVersion(
    trx,
    toTarget(current),
    current,
    { status: 'paused', certificateId: current.certificateId, reason, action: 'policy.paused', data },
    actor,
  );
}

/** Resumes a paused auto-accept on the same certificate: the drift guard starts again from now. */
export async function resumePolicy(
  db: Kysely<DB>,
  workflow: string,
  state: string,
  reason: string,
  actor: Actor,
): Promise<PolicyVersion> {
  return db.transaction().execute(async (trx) => {
    await lockPolicy(trx, workflow, state);
    const current = await findPolicyInForce(trx, workflow, state);
    if (current?.status !== 'paused')
      throw new AppError('CONFLICT', `Auto-accept of "${state}" in "${workflow}" is not paused`);
    return appendVersion(
      trx,
      toTarget(current),
      current,
      {
        status: 'certified',
        certificateId: current.certificateId,
        reason: `resumed: ${reason}`,
        action: 'policy.resumed',
      },
      actor,
    );
  });
}

function toTarget(p: PolicyVersion): DeclaredTarget {
  return {
    workflow: p.workflow,
    state: p.state,
    maxError: p.maxError,
    confidence: p.confidence,
    auditRate: p.auditRate,
  };
}

export function pct(x: number): string {
  // 0.07 * 100 is 7.000000000000001 in binary floating point: round away the artefact first.
  const v = Number((x * 100).toPrecision(12));
  return `${Number.isInteger(v) ? v : v.toFixed(v < 1 ? 2 : 1)}%`;
}
