// Policy history: what the server, the CLI and the console agree on. No I/O: the console bundles this file.
import { z } from 'zod';

/**
 * What a policy change is about:
 * - `state`: a decide or review state (and so its whole policy) appeared or went away;
 * - `threshold`: `autoAcceptAt`, the certified target `autoAccept`, `sampleNearThreshold`;
 * - `sampling`: `sampleRate` (a certified state's audit rate) and `sampleQueue`;
 * - `risk_rule`: a risk rule added, removed or changed (its reason, queue, reviewers, predicate), or their order;
 * - `review_mode`: reviewers, adjudication queue, review queue, due time, escalation queue;
 * - `certificate`: a certificate issued, or applied (put in force);
 * - `auto_accept`: a certified state's auto-accept declared, paused (drift guard or a person) or resumed.
 */
export const POLICY_CHANGE_KINDS = [
  'state',
  'threshold',
  'sampling',
  'risk_rule',
  'review_mode',
  'certificate',
  'auto_accept',
] as const;
export type PolicyChangeKind = (typeof POLICY_CHANGE_KINDS)[number];

export const POLICY_HISTORY_MAX_LIMIT = 200;

// PostgreSQL's timestamptz does not reach as far as a JavaScript Date: years 1 to 9999 only.
const date = z.coerce
  .date({ error: 'Expected a date, e.g. 2026-01-31 or 2026-01-31T12:00:00Z' })
  .min(new Date('0001-01-01T00:00:00Z'), 'Expected a date from the year 1 to 9999')
  .max(new Date('9999-12-31T23:59:59Z'), 'Expected a date from the year 1 to 9999');
const name = z.string().trim().min(1, 'Must not be empty, or leave the filter out').max(200, 'At most 200 characters');

/** `policies.history`: every filter optional; changes made at or after `from` and before `to`, newest first. */
export const policyHistoryInput = z
  .strictObject({
    workflow: name.optional(),
    state: name.optional(),
    kind: z
      .enum(POLICY_CHANGE_KINDS, { error: () => `Unknown kind: choose one of ${POLICY_CHANGE_KINDS.join(', ')}` })
      .optional(),
    from: date.optional(),
    to: date.optional(),
    /** The `nextCursor` of the page before. */
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,400}$/, 'Expected the nextCursor of the page before')
      .optional(),
    limit: z
      .number({ error: 'Expected a number of changes per page' })
      .int('Expected a whole number of changes per page')
      .min(1, 'At least 1 change per page')
      .max(POLICY_HISTORY_MAX_LIMIT, `At most ${POLICY_HISTORY_MAX_LIMIT} changes per page`)
      .default(50),
  })
  .refine((f) => !(f.from && f.to) || f.from < f.to, { path: ['to'], message: 'Must be after from' });
export type PolicyHistoryInput = z.input<typeof policyHistoryInput>;

/** The order policy fields are shown in (PostgreSQL's jsonb keeps keys in an order of its own). */
const KEY_ORDER = [
  'name',
  'status',
  'id',
  'threshold',
  'modelVersion',
  'autoAcceptAt',
  'autoAccept',
  'maxError',
  'confidence',
  'auditRate',
  'sampleNearThreshold',
  'sampleRate',
  'sampleQueue',
  'queue',
  'reviewers',
  'adjudicationQueue',
  'dueInMinutes',
  'escalateTo',
  'reason',
  'when',
  'risks',
];

/** An object's fields in the order the history shows them, absent ones left out. */
export function policyEntries(value: Record<string, unknown>): [string, unknown][] {
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * A policy value as one readable line, for the CLI's table and CSV and the console: `(none)` for
 * an absent value, numbers and text as they are, objects as `key: value` pairs (a risk rule:
 * `reason: VIP customer; queue: vip; when: c=>c.input.amount>5000`).
 *
 * @example
 * formatPolicyValue({ maxError: 0.02, confidence: 0.95 }); // 'maxError: 0.02; confidence: 0.95'
 */
export function formatPolicyValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatPolicyValue).join(', ')}]`;
  const entries = policyEntries(value as Record<string, unknown>);
  const inner = (v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? `(${formatPolicyValue(v)})` : formatPolicyValue(v);
  return entries.map(([k, v]) => (k === 'name' && typeof v === 'string' ? v : `${k}: ${inner(v)}`)).join('; ');
}

/** The columns of the policy history as CSV (the CLI's `--format csv`, the console's download). */
export const POLICY_CSV_COLUMNS = [
  'at',
  'who',
  'workflow',
  'version',
  'state',
  'kind',
  'field',
  'old',
  'new',
  'why',
  'source',
] as const;

/** What a CSV row is made of: a change as `policies.history` returns it. */
export interface PolicyChangeFields {
  at: string;
  actor: { label: string };
  reason: string | null;
  workflow: string;
  workflowVersion: number | null;
  state: string;
  kind: string;
  field: string;
  old?: unknown;
  new?: unknown;
  source: { seq: number | null; action: string };
}

/** A change as one row of text cells (values by `formatPolicyValue`). */
export function policyChangeRow(c: PolicyChangeFields): Record<(typeof POLICY_CSV_COLUMNS)[number], string> {
  return {
    at: c.at,
    who: c.actor.label,
    workflow: c.workflow,
    version: c.workflowVersion === null ? '' : String(c.workflowVersion),
    state: c.state,
    kind: c.kind,
    field: c.field,
    old: formatPolicyValue(c.old),
    new: formatPolicyValue(c.new),
    why: c.reason ?? '(no reason recorded)',
    source: `config #${c.source.seq ?? '?'} ${c.source.action}`,
  };
}
