// What the engine asks before auto-accepting in a certified state: the policy version in force and
// its certificate, cached briefly, and whether they cover a given decision.
import type { CertifiedGate } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { findPolicyInForce, type PolicyVersion } from './policies';

export interface CertificateInForce {
  id: string;
  threshold: number;
  agent: string;
  modelVersion: string;
  confidenceMethod: string;
  promptVersion: string;
}

export interface PolicyInForce extends PolicyVersion {
  certificate: CertificateInForce | null;
}

export interface PolicySource {
  /** `field`: a structured state's certified field (`policy.fields.<field>.autoAccept`). */
  inForce(db: Kysely<DB>, workflow: string, state: string, field?: string): Promise<PolicyInForce | undefined>;
}

/**
 * Reads the policy version in force and its certificate: a state's, or with `field` one of its
 * certified fields' (`policy.fields.<field>.autoAccept`), which the engine gates each field on.
 *
 * @example
 * await readPolicyInForce(db, 'vendor-onboarding', 'extract', 'taxId'); // { status: 'certified', certificate: {...} }
 */
export async function readPolicyInForce(
  db: Kysely<DB>,
  workflow: string,
  state: string,
  field?: string,
): Promise<PolicyInForce | undefined> {
  const policy = await findPolicyInForce(db, workflow, state, field);
  if (!policy) return undefined;
  if (!policy.certificateId) return { ...policy, certificate: null };
  const c = await db
    .selectFrom('certificates')
    .select(['id', 'threshold', 'agent', 'model_version', 'confidence_method', 'prompt_version'])
    .where('id', '=', policy.certificateId)
    .executeTakeFirstOrThrow();
  return {
    ...policy,
    certificate: {
      id: c.id,
      threshold: c.threshold,
      agent: c.agent,
      modelVersion: c.model_version,
      confidenceMethod: c.confidence_method,
      promptVersion: c.prompt_version,
    },
  };
}

/**
 * The policies in force, cached per state for `refreshMs` (default 2 s: a pause by the drift guard
 * reaches every worker within that). Decisions that miss the cache together share one read.
 *
 * @example
 * const policies = createPolicySource();
 * const p = await policies.inForce(db, 'support-triage', 'classify');
 */
export function createPolicySource(options: { refreshMs?: number } = {}): PolicySource {
  const refreshMs = options.refreshMs ?? 2000;
  const cache = new Map<string, { since: number; policy: Promise<PolicyInForce | undefined> }>();
  return {
    inForce(db, workflow, state, field) {
      const key = `${workflow}\u0000${state}\u0000${field ?? ''}`;
      const cached = cache.get(key);
      if (cached && Date.now() - cached.since <= refreshMs) return cached.policy;
      const policy = readPolicyInForce(db, workflow, state, field);
      cache.set(key, { since: Date.now(), policy });
      policy.catch(() => {
        if (cache.get(key)?.policy === policy) cache.delete(key);
      });
      return policy;
    },
  };
}

/**
 * Whether a certified state may auto-accept this decision, and on which threshold: only under a
 * certificate in force that covers the model version, confidence method and prompt version that
 * produced it. A new model version is never auto-accepted on the strength of another's certificate.
 *
 * @example
 * certifiedGate(policy, { modelVersion: 'lr-v4', confidenceMethod: 'posterior', promptVersion: 'ab12' });
 * // { open: false, reason: { code: 'model_not_certified', message: '...' } }
 */
export function certifiedGate(
  policy: PolicyInForce | undefined,
  decision: { modelVersion: string; confidenceMethod: string; promptVersion: string },
): CertifiedGate {
  if (!policy?.certificate || policy.status === 'uncertified')
    return {
      open: false,
      reason: {
        code: 'uncertified',
        message:
          'Auto-accept is not certified yet: every decision goes to a person until enough fair labels certify a threshold',
      },
    };
  if (policy.status === 'paused')
    return { open: false, reason: { code: 'auto_accept_paused', message: `Auto-accept is paused: ${policy.reason}` } };
  const c = policy.certificate;
  if (
    c.modelVersion !== decision.modelVersion ||
    c.confidenceMethod !== decision.confidenceMethod ||
    c.promptVersion !== decision.promptVersion
  )
    return {
      open: false,
      reason: {
        code: 'model_not_certified',
        message: `The certificate in force covers ${c.modelVersion} (${c.confidenceMethod}, prompt ${c.promptVersion}); this answer came from ${decision.modelVersion} (${decision.confidenceMethod}, prompt ${decision.promptVersion})`,
      },
    };
  return { open: true, threshold: c.threshold };
}
