// What changed in the routing and review policy between two registered versions of a workflow, read
// from their serialised definitions (`serializeWorkflow`, as stored in `workflow_versions`).
import { canonicalJson } from './canonical-json';
import type { PolicyChangeKind } from './policy-history-schemas';

/** One field of one state's policy that differs between two versions; `old`/`new` are null when absent. */
export interface PolicyFieldChange {
  state: string;
  kind: Exclude<PolicyChangeKind, 'certificate' | 'auto_accept'>;
  /** The policy field (`autoAcceptAt`, `sampleRate`, `reviewers`, ...), `risks.<rule>`, `risks.order` or `policy`. */
  field: string;
  old: unknown;
  new: unknown;
}

type Json = Record<string, unknown>;
type FieldKind = PolicyFieldChange['kind'];

const REVIEW_MODE: [string, FieldKind][] = [
  ['queue', 'review_mode'],
  ['reviewers', 'review_mode'],
  ['adjudicationQueue', 'review_mode'],
  ['dueInMinutes', 'review_mode'],
  ['escalateTo', 'review_mode'],
];

/** A decide state's policy fields, in the order the history lists them. */
const DECIDE_FIELDS: [string, FieldKind][] = [
  ['autoAcceptAt', 'threshold'],
  ['autoAccept', 'threshold'],
  ['sampleNearThreshold', 'threshold'],
  ['sampleRate', 'sampling'],
  ['sampleQueue', 'sampling'],
  ...REVIEW_MODE,
];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const orNull = (v: unknown) => (v === undefined ? null : v);
const same = (a: unknown, b: unknown) => canonicalJson(orNull(a)) === canonicalJson(orNull(b));

/**
 * A state's policy as the history shows it: a decide state's routing policy (risk rules included),
 * or a review state's queue and review mode; undefined for a state that routes nothing to people.
 */
export function statePolicy(state: unknown): Json | undefined {
  if (!isObject(state)) return undefined;
  if (state.kind === 'decide' && isObject(state.policy)) return state.policy;
  if (state.kind === 'review')
    return Object.fromEntries(REVIEW_MODE.map(([f]) => [f, state[f]]).filter(([, v]) => v !== undefined));
  return undefined;
}

interface Rule {
  name: string;
  [k: string]: unknown;
}
const rulesOf = (policy: Json): Rule[] =>
  (Array.isArray(policy.risks) ? policy.risks : []).filter((r): r is Rule => isObject(r) && typeof r.name === 'string');
const ruleValue = ({ name: _name, ...rest }: Rule) => rest;

function diffState(state: string, kind: unknown, before: Json, after: Json): PolicyFieldChange[] {
  const out: PolicyFieldChange[] = [];
  for (const [field, k] of kind === 'decide' ? DECIDE_FIELDS : REVIEW_MODE)
    if (!same(before[field], after[field]))
      out.push({ state, kind: k, field, old: orNull(before[field]), new: orNull(after[field]) });
  if (kind !== 'decide') return out;
  const was = rulesOf(before);
  const now = rulesOf(after);
  for (const rule of now) {
    const old = was.find((r) => r.name === rule.name);
    if (!old || !same(ruleValue(old), ruleValue(rule)))
      out.push({
        state,
        kind: 'risk_rule',
        field: `risks.${rule.name}`,
        old: old ? ruleValue(old) : null,
        new: ruleValue(rule),
      });
  }
  for (const old of was)
    if (!now.some((r) => r.name === old.name))
      out.push({ state, kind: 'risk_rule', field: `risks.${old.name}`, old: ruleValue(old), new: null });
  // The first matching rule's queue wins, so the order of the rules kept is policy too.
  const kept = (rules: Rule[], other: Rule[]) =>
    rules.filter((r) => other.some((o) => o.name === r.name)).map((r) => r.name);
  const order = { old: kept(was, now), new: kept(now, was) };
  if (!same(order.old, order.new)) out.push({ state, kind: 'risk_rule', field: 'risks.order', ...order });
  return out;
}

/**
 * Every policy change from one serialised workflow definition to the next: per decide and review
 * state, each threshold, sampling, risk-rule and review-mode field that differs, with its old and new
 * value. A state that appears (every state of a first version, `previous` null) or disappears is one
 * change of kind `state` with its whole policy. States are taken in name order.
 *
 * @example
 * diffPolicies(v1.definition, v2.definition);
 * // [{ state: 'classify', kind: 'threshold', field: 'autoAcceptAt', old: 0.8, new: 0.75 }]
 */
export function diffPolicies(previous: Json | null, next: Json): PolicyFieldChange[] {
  const statesOf = (d: Json | null): Json => (d && isObject(d.states) ? d.states : {});
  const before = statesOf(previous);
  const after = statesOf(next);
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: PolicyFieldChange[] = [];
  for (const state of names) {
    const b = before[state];
    const a = after[state];
    const pb = statePolicy(b);
    const pa = statePolicy(a);
    if (!pb && !pa) continue;
    if (pb && pa && isObject(a) && isObject(b) && a.kind === b.kind) out.push(...diffState(state, a.kind, pb, pa));
    else {
      if (pb) out.push({ state, kind: 'state', field: 'policy', old: pb, new: null });
      if (pa) out.push({ state, kind: 'state', field: 'policy', old: null, new: pa });
    }
  }
  return out;
}
