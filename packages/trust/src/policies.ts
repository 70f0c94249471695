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
  /** A structured state's certified leaf field (dotted path); null for the state itself. */
  field: string | null;
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
  /** A structured state's certified leaf field (`policy.fields.<field>.autoAccept`); null for the state. */
  field: string | null;
  maxError: number;
  confidence: number;
  auditRate: number;
}

/**
 * The certified decide states of a workflow definition and their declared targets, and the
 * certified fields of structured states (one target each). A field is audited at its state's rate:
 * the audit draw is the decision's, one coin for all its fields.
 */
export function declaredTargets(definition: WorkflowDefinition): DeclaredTarget[] {
  return Object.entries(definition.states).flatMap(([state, s]) => {
    if (s.kind !== 'decide') return [];
    const policy = (s as DecideState<unknown>).policy;
    const auditRate = policy.sampleRate ?? DEFAULT_AUDIT_RATE;
    const base = { workflow: definition.name, state, auditRate };
    const own = policy.autoAccept
      ? [{ ...base, field: null, maxError: policy.autoAccept.maxError, confidence: policy.autoAccept.confidence }]
      : [];
    const fields = Object.entries(policy.fields ?? {}).flatMap(([field, f]) =>
      f.autoAccept ? [{ ...base, field, maxError: f.autoAccept.maxError, confidence: f.autoAccept.confidence }] : [],
    );
    return [...own, ...fields];
  });
}

/** How a policy's subject reads in messages: `"classify" of "triage"`, or `field "taxId" of "extract" of "vendor"`. */
export function policySubject(workflow: string, state: string, field?: string | null): string {
  return `${field ? `field "${field}" of ` : ''}"${state}" of "${workflow}"`;
}

function toVersion(r: {
  id: string;
  workflow_name: string;
  state: string;
  field: string;
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
    field: r.field || null,
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

/** The policy version in force for a state (its newest), or for one of its certified fields; or undefined. */
export async function findPolicyInForce(
  db: Db,
  workflow: string,
  state: string,
  field?: string | null,
): Promise<PolicyVersion | undefined> {
  const row = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('workflow_name', '=', workflow)
    .where('state', '=', state)
    .where('field', '=', field ?? '')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toVersion(row) : undefined;
}

/** Every state's policy version in force, and every certified field's (after its state's). */
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
            .whereRef('n.field', '=', 'p.field')
            .whereRef('n.version', '>', 'p.version'),
        ),
      ),
    )
    .orderBy('p.workflow_name')
    .orderBy('p.state')
    .orderBy('p.field')
    .execute();
  return rows.map(toVersion);
}

/** The history of a state's policy (or of one of its certified fields), newest first. */
export async function policyHistory(
  db: Db,
  workflow: string,
  state: string,
  field?: string | null,
): Promise<PolicyVersion[]> {
  const rows = await db
    .selectFrom('policy_versions')
    .selectAll()
    .where('workflow_name', '=', workflow)
    .where('state', '=', state)
    .where('field', '=', field ?? '')
    .orderBy('version', 'desc')
    .execute();
  return rows.map(toVersion);
}

/** Serialises the changes of one state's policy (or one field's). */
async function lockPolicy(trx: Transaction<DB>, workflow: string, state: string, field?: string | null): Promise<void> {
  const key = `policy:${workflow}:${state}${field ? `:field:${field}` : ''}`;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 727))`.execute(trx);
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
      field: target.field ?? '',
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
      ...(target.field ? { field: target.field } : {}),
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
    await lockPolicy(trx, target.workflow, target.state, target.field);
    const current = await findPolicyInForce(trx, target.workflow, target.state, target.field);
    if (current && sameTarget(current, target)) {
      out.push(current);
      continue;
    }
    const of = target.field ? `field "${target.field}": ` : '';
    const reason = current
      ? `${of}target changed to at most ${pct(target.maxError)} wrong with ${pct(target.confidence)} confidence (audit ${pct(target.auditRate)}): a new certificate is needed`
      : `${of}declared: at most ${pct(target.maxError)} wrong with ${pct(target.confidence)} confidence (audit ${pct(target.auditRate)}); nothing is auto-accepted until a certificate`;
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
    await lockPolicy(trx, cert.workflow_name, cert.state, cert.field);
    const current = await findPolicyInForce(trx, cert.workflow_name, cert.state, cert.field);
    if (!current)
      throw new AppError(
        'CONFLICT',
        `${policySubject(cert.workflow_name, cert.state, cert.field)} declares no certified auto-accept`,
      );
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

/**
 * Pauses a state's auto-accept (the drift guard, or a person): everything goes to review. With
 * `field`, a certified field's: every decision then goes to review for that field.
 */
export async function pausePolicy(
  trx: Transaction<DB>,
  workflow: string,
  state: string,
  reason: string,
  actor: Actor,
  data: Record<string, unknown> = {},
  field?: string | null,
): Promise<PolicyVersion> {
  await lockPolicy(trx, workflow, state, field);
  const current = await findPolicyInForce(trx, workflow, state, field);
  if (current?.status !== 'certified')
    throw new AppError(
      'CONFLICT',
      `Auto-accept of ${policySubject(workflow, state, field)} is not running, so it cannot be paused`,
    );
  return appendVersion(
    trx,
    toTarget(current),
    current,
    { status: 'paused', certificateId: current.certificateId, reason, action: 'policy.paused', data },
    actor,
  );
}

/** Resumes a paused auto-accept (a state's, or with `field` a field's) on the same certificate: the drift guard starts again from now. */
export async function resumePolicy(
  db: Kysely<DB>,
  workflow: string,
  state: string,
  reason: string,
  actor: Actor,
  field?: string | null,
): Promise<PolicyVersion> {
  return db.transaction().execute(async (trx) => {
    await lockPolicy(trx, workflow, state, field);
    const current = await findPolicyInForce(trx, workflow, state, field);
    if (current?.status !== 'paused')
      throw new AppError('CONFLICT', `Auto-accept of ${policySubject(workflow, state, field)} is not paused`);
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
    field: p.field,
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
