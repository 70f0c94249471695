import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import type { Kysely } from 'kysely';
import type { ErrorBound } from './bounds';
import { type Certification, certifyThreshold } from './certification';
import { type DecisionKey, latestDecisionKey, loadScoredDecisions, type Window } from './fair-labels';
import { latestFieldDecisionKey, loadFieldDecisions } from './field-labels';
import { applyCertificate, findPolicyInForce, type PolicyVersion, policySubject } from './policies';

/** How far back `certifyState` looks when no window is given. */
export const DEFAULT_WINDOW_DAYS = 90;

export interface CertificationReport {
  key: DecisionKey;
  window: Window;
  maxError: number;
  confidence: number;
  /** Every candidate threshold, highest first, with its automation, error bound and test. */
  certification: Certification;
  decisions: number;
  fairLabels: number;
  /** The certificate stored when a threshold passed. */
  certificateId: string | null;
  /** The policy version now in force, when the certificate was applied. */
  applied: PolicyVersion | null;
}

/**
 * Certifies a state's auto-accept threshold for the target its policy declares: reads the scored
 * decisions of one model version (by default the state's latest) in a window, finds the lowest
 * threshold whose error bound is within the target (`certifyThreshold`), stores the certificate
 * (audited) and, with `apply`, puts it in force. Without a passing threshold nothing is stored and
 * the report says why. With `field`, certifies one certified leaf field of a structured state
 * (`policy.fields.<field>.autoAccept`) the same way, on the field's score and on whether reviewers
 * changed the field.
 *
 * @example
 * const r = await certifyState(db, { workflow: 'support-triage', state: 'classify', actor, apply: true });
 * r.certification.reason;
 */
export async function certifyState(
  db: Kysely<DB>,
  input: {
    workflow: string;
    state: string;
    /** A structured state's certified leaf field (dotted path); omitted for the state itself. */
    field?: string | undefined;
    key?: Partial<Pick<DecisionKey, 'modelVersion' | 'confidenceMethod' | 'promptVersion'>>;
    window?: Partial<Window>;
    apply?: boolean;
    /** Why the certificate is applied (with `apply`), recorded in the policy history. */
    reason?: string;
    actor: Actor;
  },
): Promise<CertificationReport> {
  const field = input.field || undefined;
  const subject = policySubject(input.workflow, input.state, field);
  const policy = await findPolicyInForce(db, input.workflow, input.state, field);
  if (!policy)
    throw new AppError(
      'NOT_FOUND',
      field
        ? `${subject} declares no certified auto-accept (policy.fields["${field}"].autoAccept: { maxError, confidence })`
        : `${subject} declares no certified auto-accept (autoAccept: { maxError, confidence })`,
    );
  const latest = field
    ? await latestFieldDecisionKey(db, input.workflow, input.state, field)
    : await latestDecisionKey(db, input.workflow, input.state);
  if (!latest) throw new AppError('BAD_INPUT', `${subject} has no scored decisions yet`);
  const key: DecisionKey = { ...latest, ...definedOnly(input.key ?? {}) };
  const to = input.window?.to ?? new Date();
  const window = { from: input.window?.from ?? new Date(to.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000), to };
  const decisions = field
    ? await loadFieldDecisions(db, { ...key, field }, window)
    : await loadScoredDecisions(db, key, window);
  const certification = certifyThreshold(decisions, { maxError: policy.maxError, delta: 1 - policy.confidence });
  const fairLabels = decisions.filter((d) => d.wrong !== undefined).length;
  const certificateId = await storeCertificate(db, {
    key,
    policy,
    certification,
    window,
    decisions: decisions.length,
    fairLabels,
    actor: input.actor,
  });
  const applied =
    certificateId && input.apply ? await applyCertificate(db, certificateId, input.actor, input.reason) : null;
  return {
    key,
    window,
    maxError: policy.maxError,
    confidence: policy.confidence,
    certification,
    decisions: decisions.length,
    fairLabels,
    certificateId,
    applied,
  };
}

/**
 * Stores the certificate of a certification that passed (audited `certificate.issued`) and
 * returns its id; null, storing nothing, when no threshold passed.
 */
export async function storeCertificate(
  db: Kysely<DB>,
  input: {
    key: DecisionKey;
    policy: PolicyVersion;
    certification: Certification;
    window: Window;
    decisions: number;
    fairLabels: number;
    actor: Actor;
    /** How the labels were scored, when not by the model version's own decisions. */
    scoring?: string;
  },
): Promise<string | null> {
  const { key, policy, certification, window } = input;
  const certified = certification.certified;
  if (!certified) return null;
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('certificates')
      .values({
        workflow_name: key.workflow,
        state: key.state,
        field: key.field ?? '',
        agent: key.agent,
        model_version: key.modelVersion,
        confidence_method: key.confidenceMethod,
        prompt_version: key.promptVersion,
        max_error: policy.maxError,
        confidence: policy.confidence,
        threshold: certified.threshold,
        labels_used: certified.bound.labelled,
        wrong_used: certified.bound.wrong,
        upper_bound: certified.bound.upper,
        expected_automation: certified.automation,
        evidence: JSON.stringify({
          ...evidenceOf(certification, input.decisions, input.fairLabels),
          scoring: input.scoring ?? 'the scores the model version recorded on its own decisions',
        }),
        window_from: window.from,
        window_to: window.to,
        created_by: JSON.stringify(input.actor),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      actor: input.actor,
      action: 'certificate.issued',
      data: {
        certificateId: row.id,
        ...key,
        maxError: policy.maxError,
        confidence: policy.confidence,
        threshold: certified.threshold,
        labelsUsed: certified.bound.labelled,
        wrongUsed: certified.bound.wrong,
        upperBound: certified.bound.upper,
        expectedAutomation: certified.automation,
        window: { from: window.from.toISOString(), to: window.to.toISOString() },
        ...(input.scoring ? { scoring: input.scoring } : {}),
      },
    });
    return row.id;
  });
}

/** One candidate threshold of a certification, as a certificate keeps it: a point of the trade-off curve. */
export interface CurvePoint {
  threshold: number;
  /** Share of the decisions at or above the threshold. */
  automation: number;
  /** Upper confidence bound on the error of the decisions at or above it. */
  upper: number;
  estimate: number | null;
  labelled: number;
  wrong: number;
  tested: boolean;
  passed: boolean;
}

/** What a certificate keeps of its certification: the curve, the strata at its threshold, the method. */
export interface CertificateEvidence {
  method: string;
  decisions: number;
  fairLabels: number;
  labelsNeeded: number;
  reason: string;
  strata: ErrorBound | null;
  /** Every candidate threshold, highest first. */
  curve: CurvePoint[];
  /** How the fair labels were scored: by the model version's own decisions, or re-scored by it. */
  scoring: string;
}

function evidenceOf(c: Certification, decisions: number, fairLabels: number): Omit<CertificateEvidence, 'scoring'> {
  return {
    method:
      'Learn then Test: fixed-sequence tests from the highest score down, each an exact binomial (Clopper-Pearson) upper bound per stratum of audit probability, Bonferroni across strata',
    decisions,
    fairLabels,
    labelsNeeded: c.labelsNeeded,
    reason: c.reason,
    strata: c.certified?.bound ?? null,
    curve: c.candidates.map((x) => ({
      threshold: x.threshold,
      automation: x.automation,
      upper: x.bound.upper,
      estimate: x.bound.estimate,
      labelled: x.bound.labelled,
      wrong: x.bound.wrong,
      tested: x.tested,
      passed: x.passed,
    })),
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A stored certificate with its evidence (the curve of every candidate threshold).
 *
 * @example
 * const c = await getCertificate(db, id);
 * c.evidence.curve; // [{ threshold, automation, upper, ... }]
 */
export async function getCertificate(db: Kysely<DB>, certificateId: string) {
  const row = await db.selectFrom('certificates').selectAll().where('id', '=', certificateId).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', `No certificate ${certificateId}`);
  // Only `storeCertificate` writes certificates, and it writes `evidenceOf`'s shape.
  return { ...row, evidence: row.evidence as unknown as CertificateEvidence };
}
