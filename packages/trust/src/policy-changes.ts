// The policy history: every change to how decisions are routed and reviewed, with who, when, why,
// and the old and new values. Two sources, merged into one list, newest first:
// - registered workflow versions, each diffed against the version before (`diffPolicies` over the
//   stored serialised definitions), with the version's change note and deployer;
// - the trust changes: certificates issued, policy versions declared, certified (a certificate
//   applied), paused (by the drift guard with its evidence, or by a person with a reason), resumed.
// Each change names the `config` audit event that records it.
import {
  AppError,
  diffPolicies,
  POLICY_HISTORY_MAX_LIMIT,
  type PolicyChangeKind,
  type PolicyHistoryInput,
  policyHistoryInput,
} from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely, Transaction } from 'kysely';
import { pct } from './policies';

type Db = Kysely<DB> | Transaction<DB>;

/** The setting a trust change is about: a state's `status`, or a certified field's `fields.<path>.status`. */
const setting = (field: string, name: 'status' | 'certificate') => (field ? `fields.${field}.${name}` : name);

/** Who made a change: a signed-in user (by e-mail), a deployment, the drift guard, a CLI command. */
export interface PolicyChangeActor {
  type: 'user' | 'deploy' | 'system' | 'api_key';
  id: string | null;
  /** How the history shows them: a user's e-mail, `drift guard`, `deploy: ci@bank`, ... */
  label: string;
}

export interface PolicyChange {
  /** Stable within the history: the source event's sequence and the change's place in it. */
  id: string;
  /** When it took effect (ISO 8601). */
  at: string;
  actor: PolicyChangeActor;
  /** Why: a person's reason, a version's change note, the drift guard's evidence; null when none was given. */
  reason: string | null;
  workflow: string;
  /** The workflow version that brought the change (registrations), else null. */
  workflowVersion: number | null;
  state: string;
  kind: PolicyChangeKind;
  field: string;
  old: unknown;
  new: unknown;
  /** The certified state's policy version the change made, if it made one. */
  policyVersion: number | null;
  /** The certificate issued or applied. */
  certificateId: string | null;
  /** What the drift guard saw when it paused auto-accept (samples, wrong, e-value, alarm level). */
  evidence: Record<string, unknown> | null;
  /** The audit event on the `config` stream that records it (`audit.verifyStream` checks the chain). */
  source: { stream: 'config'; seq: number | null; action: string };
}

export interface PolicyHistoryPage {
  changes: PolicyChange[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

interface Draft extends Omit<PolicyChange, 'id' | 'at' | 'actor'> {
  at: Date;
  actor: { type: string; id?: string | null };
  /** Its place among the changes of one source event. */
  index: number;
}

const CHANGE_ACTIONS = [
  'workflow.registered',
  'policy.declared',
  'policy.certified',
  'policy.paused',
  'policy.resumed',
  'certificate.issued',
];

type AuditIndex = Map<string, { seq: number; action: string; data: Record<string, unknown> }>;

/** The config stream's policy events by the row they record (`wv:`, `pv:`, `cert:` + id). */
async function auditIndex(db: Db): Promise<AuditIndex> {
  const rows = await db
    .selectFrom('audit_events')
    .select(['seq', 'action', 'data'])
    .where('stream', '=', 'config')
    .where('action', 'in', CHANGE_ACTIONS)
    .execute();
  const index: AuditIndex = new Map();
  for (const r of rows) {
    const d = r.data;
    const key =
      r.action === 'workflow.registered'
        ? `wv:${String(d.versionId)}`
        : r.action === 'certificate.issued'
          ? `cert:${String(d.certificateId)}`
          : `pv:${String(d.policyVersionId)}`;
    index.set(key, { seq: r.seq, action: r.action, data: d });
  }
  return index;
}

async function registrationChanges(db: Db, workflow: string | undefined, audit: AuditIndex): Promise<Draft[]> {
  let q = db
    .selectFrom('workflow_versions')
    .select(['id', 'name', 'version', 'definition', 'change_note', 'registered_by', 'created_at'])
    .orderBy('name')
    .orderBy('version');
  if (workflow) q = q.where('name', '=', workflow);
  const versions = await q.execute();
  const out: Draft[] = [];
  versions.forEach((v, i) => {
    const before = versions[i - 1];
    const previous = before && before.name === v.name ? before.definition : null;
    const event = audit.get(`wv:${v.id}`);
    diffPolicies(previous, v.definition).forEach((c, index) => {
      out.push({
        ...c,
        at: v.created_at,
        actor: { type: 'deploy', id: v.registered_by },
        reason: v.change_note,
        workflow: v.name,
        workflowVersion: v.version,
        policyVersion: null,
        certificateId: null,
        evidence: null,
        source: { stream: 'config', seq: event?.seq ?? null, action: 'workflow.registered' },
        index,
      });
    });
  });
  return out;
}

async function trustChanges(db: Db, workflow: string | undefined, audit: AuditIndex): Promise<Draft[]> {
  let pq = db
    .selectFrom('policy_versions')
    .selectAll()
    .orderBy('workflow_name')
    .orderBy('state')
    .orderBy('field')
    .orderBy('version');
  if (workflow) pq = pq.where('workflow_name', '=', workflow);
  let cq = db.selectFrom('certificates').selectAll();
  if (workflow) cq = cq.where('workflow_name', '=', workflow);
  const [policies, certificates] = await Promise.all([pq.execute(), cq.execute()]);
  const certificate = new Map(certificates.map((c) => [c.id, c]));
  const certValue = (id: string | null) => {
    const c = id ? certificate.get(id) : undefined;
    return c ? { id: c.id, threshold: c.threshold, modelVersion: c.model_version } : id ? { id } : null;
  };
  const out: Draft[] = [];
  const base = (w: string, state: string, at: Date, createdBy: Record<string, unknown>) => ({
    at,
    actor: createdBy as Draft['actor'],
    workflow: w,
    workflowVersion: null,
    state,
    index: 0,
  });
  for (const c of certificates) {
    const event = audit.get(`cert:${c.id}`);
    out.push({
      ...base(c.workflow_name, c.state, c.created_at, c.created_by),
      kind: 'certificate',
      field: setting(c.field, 'certificate'),
      old: null,
      new: {
        id: c.id,
        threshold: c.threshold,
        modelVersion: c.model_version,
        maxError: c.max_error,
        confidence: c.confidence,
        upperBound: c.upper_bound,
        expectedAutomation: c.expected_automation,
      },
      reason: `issued: error at most ${pct(c.upper_bound)} (target ${pct(c.max_error)} at ${pct(c.confidence)} confidence) on ${c.labels_used} fair labels, ${c.wrong_used} wrong; nothing changes until it is applied`,
      policyVersion: null,
      certificateId: c.id,
      evidence: null,
      source: { stream: 'config', seq: event?.seq ?? null, action: 'certificate.issued' },
    });
  }
  policies.forEach((p, i) => {
    const before = policies[i - 1];
    const prev =
      before && before.workflow_name === p.workflow_name && before.state === p.state && before.field === p.field
        ? before
        : undefined;
    const event = audit.get(`pv:${p.id}`);
    const action = event?.action ?? (prev ? `policy.${p.status}` : 'policy.declared');
    const common = {
      ...base(p.workflow_name, p.state, p.created_at, p.created_by),
      reason: p.reason,
      policyVersion: p.version,
      certificateId: p.certificate_id,
      evidence: null,
      source: { stream: 'config' as const, seq: event?.seq ?? null, action },
    };
    if (action === 'policy.certified') {
      const note = event?.data.note;
      out.push({
        ...common,
        kind: 'certificate',
        field: setting(p.field, 'certificate'),
        old: certValue(prev?.certificate_id ?? null),
        new: certValue(p.certificate_id),
        reason: typeof note === 'string' && note ? note : p.reason,
      });
      return;
    }
    const guard = event?.data.guard;
    out.push({
      ...common,
      kind: 'auto_accept',
      field: setting(p.field, 'status'),
      old: prev ? prev.status : null,
      new:
        action === 'policy.declared'
          ? { status: p.status, maxError: p.max_error, confidence: p.confidence, auditRate: p.audit_rate }
          : p.status,
      evidence: guard && typeof guard === 'object' ? (guard as Record<string, unknown>) : null,
    });
  });
  return out;
}

/** Who a stored actor is, as the history shows them; users by their e-mail. */
function actorOf(a: Draft['actor'], emails: Map<string, string>): PolicyChangeActor {
  const id = a.id ?? null;
  if (a.type === 'deploy')
    return { type: 'deploy', id, label: id ? `deploy: ${id}` : 'deploy (SIGNOFF_DEPLOYED_BY not set)' };
  if (a.type === 'user') return { type: 'user', id, label: (id && emails.get(id)) ?? `user ${id}` };
  if (a.type === 'api_key') return { type: 'api_key', id, label: `API key ${id}` };
  if (id?.startsWith('deploy')) {
    const who = id.slice('deploy:'.length) || null;
    return { type: 'deploy', id: who, label: who ? `deploy: ${who}` : 'deploy (SIGNOFF_DEPLOYED_BY not set)' };
  }
  if (id === 'drift-guard') return { type: 'system', id, label: 'drift guard' };
  if (id?.startsWith('cli:')) {
    const [command, osUser] = id.slice('cli:'.length).split(':');
    return { type: 'system', id, label: `CLI: signoff ${command}${osUser ? ` (${osUser})` : ''}` };
  }
  return { type: 'system', id, label: id ? `system: ${id}` : 'system' };
}

interface Position {
  at: number;
  seq: number;
  index: number;
}
const positionOf = (d: Draft): Position => ({ at: d.at.getTime(), seq: d.source.seq ?? -1, index: d.index });
/** Newest first: by time, then by the order of the audit events; one event's changes in their own order. */
const newerFirst = (a: Position, b: Position) => b.at - a.at || b.seq - a.seq || a.index - b.index;

const encodeCursor = (p: Position) => Buffer.from(JSON.stringify([p.at, p.seq, p.index])).toString('base64url');
function decodeCursor(cursor: string): Position {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && v.every((n) => Number.isSafeInteger(n)))
      return { at: v[0], seq: v[1], index: v[2] };
  } catch {
    // not JSON: refused below
  }
  throw new AppError('BAD_INPUT', 'Invalid input: cursor: Expected the nextCursor of the page before', {
    issues: [{ path: 'cursor', message: 'Expected the nextCursor of the page before' }],
  });
}

/**
 * One page of the policy history, newest first, filtered by workflow, state, kind and time
 * (`from` inclusive, `to` exclusive). The input is parsed here too (`policyHistoryInput`), so the
 * CLI and the API refuse the same things.
 *
 * @example
 * const { changes, nextCursor } = await listPolicyChanges(db, { workflow: 'support-triage', kind: 'threshold' });
 */
export async function listPolicyChanges(db: Db, input: PolicyHistoryInput = {}): Promise<PolicyHistoryPage> {
  const parsed = policyHistoryInput.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(root)',
      message: i.message,
    }));
    throw new AppError('BAD_INPUT', `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      issues,
    });
  }
  const f = parsed.data;
  const after = f.cursor ? decodeCursor(f.cursor) : undefined;
  const audit = await auditIndex(db);
  const drafts = [...(await registrationChanges(db, f.workflow, audit)), ...(await trustChanges(db, f.workflow, audit))]
    .filter(
      (d) =>
        (!f.state || d.state === f.state) &&
        (!f.kind || d.kind === f.kind) &&
        (!f.from || d.at >= f.from) &&
        (!f.to || d.at < f.to) &&
        (!after || newerFirst(after, positionOf(d)) < 0),
    )
    .sort((a, b) => newerFirst(positionOf(a), positionOf(b)));
  const page = drafts.slice(0, Math.min(f.limit, POLICY_HISTORY_MAX_LIMIT));
  const userIds = [
    ...new Set(page.filter((d) => d.actor.type === 'user' && d.actor.id).map((d) => d.actor.id as string)),
  ];
  const emails = new Map(
    userIds.length === 0
      ? []
      : (await db.selectFrom('users').select(['id', 'email']).where('id', 'in', userIds).execute()).map((u) => [
          u.id,
          u.email,
        ]),
  );
  const last = page.at(-1);
  return {
    changes: page.map(({ index: _index, ...d }) => {
      const p = positionOf({ ...d, index: _index });
      return { ...d, id: `${p.seq}.${p.index}.${p.at}`, at: d.at.toISOString(), actor: actorOf(d.actor, emails) };
    }),
    nextCursor: drafts.length > page.length && last ? encodeCursor(positionOf(last)) : null,
  };
}
