import type { AiFailure } from './errors';
import { DEFAULT_AUDIT_RATE, type RiskRule, type RiskRuleAnswer, type RoutingPolicy } from './workflow';

export type Route = 'auto' | 'review' | 'sampled';

export type RouteReasonCode =
  | 'low_confidence'
  | 'below_certified_threshold'
  | 'uncertified'
  | 'model_not_certified'
  | 'auto_accept_paused'
  | 'risk_rule'
  | 'risk_rule_error'
  | 'ai_unavailable'
  | 'ai_invalid_output'
  /** The endpoint gave no confidence worth the name (deterministic samples, no logprobs). */
  | 'confidence_unavailable'
  | 'qa_sample'
  | 'checker_disagrees'
  /** A structured output's field below its own threshold (`policy.fields`). */
  | 'low_field_confidence';

export interface RouteReason {
  code: RouteReasonCode;
  /** For a reviewer: why this item is in front of them. */
  message: string;
  /** The risk rule's name, for `risk_rule` reasons. */
  rule?: string;
  /**
   * Structured outputs: the leaf fields the reason is about (a field below its threshold, the
   * fields a risk rule names); the correction form highlights them.
   */
  fields?: string[];
  /** For `ai_unavailable` and `ai_invalid_output`: the endpoint's failure (status, message, parameter). */
  ai?: AiFailure;
}

export interface RoutingResult {
  route: Route;
  /** The review queue, when `route` is `review`. */
  queue: string | null;
  reasons: RouteReason[];
}

/**
 * What a certified state's auto-accept stands on for one decision: the threshold of the certificate
 * in force (on the decision's score), or why no certificate covers it (none yet, another model
 * version, paused by the drift guard).
 */
export type CertifiedGate = { open: true; threshold: number } | { open: false; reason: RouteReason };

/**
 * Applies a `decide` state's policy to one AI answer: every matching risk rule adds a reason, and
 * so does a confidence below the fixed threshold (`autoAcceptAt`) or, for a certified state, a score
 * below the certificate's threshold or a closed gate; any reason means review. A risk rule that
 * throws counts as matching, since an unevaluable safeguard must not wave an item through.
 *
 * @example
 * routeDecision({ autoAcceptAt: 0.9, queue: 'support' }, ctx, { label: 'billing', confidence: 0.62 });
 * // => { route: 'review', queue: 'support', reasons: [{ code: 'low_confidence', ... }] }
 */
export function routeDecision<C>(
  policy: RoutingPolicy<C>,
  ctx: C,
  answer: RiskRuleAnswer & { score?: number },
  gate?: CertifiedGate,
  fieldGates?: Readonly<Record<string, CertifiedGate>>,
): RoutingResult {
  const reasons: RouteReason[] = [];
  let queue: string | null = null;
  for (const rule of policy.risks ?? []) {
    const hit = evaluateRule(rule, ctx, answer);
    const fields = rule.fields?.length ? { fields: [...rule.fields] } : {};
    if (hit === 'error') {
      reasons.push({
        code: 'risk_rule_error',
        rule: rule.name,
        message: `Risk rule "${rule.name}" could not be evaluated`,
        ...fields,
      });
      queue ??= rule.queue ?? null;
    } else if (hit) {
      reasons.push({ code: 'risk_rule', rule: rule.name, message: rule.reason, ...fields });
      queue ??= rule.queue ?? null;
    }
  }
  // Structured outputs: each field with a policy of its own, on its own confidence (or score).
  for (const [field, fp] of Object.entries(policy.fields ?? {})) {
    const f = answer.fields?.[field];
    let reason: RouteReason | undefined;
    if (fp.autoAccept) {
      const g = fieldGates?.[field];
      if (!g) throw new Error(`A certified field policy (${field}) is routed with the gate of its certificate`);
      if (!g.open) reason = { ...g.reason, message: `${field}: ${g.reason.message}`, fields: [field] };
      else if (!(f !== undefined && f.score >= g.threshold))
        reason = {
          code: 'below_certified_threshold',
          message: `${field}: score ${f?.score.toFixed(2) ?? 'unknown'} is below the certified threshold ${g.threshold.toFixed(2)}`,
          fields: [field],
        };
    } else if (fp.autoAcceptAt !== undefined && !(f !== undefined && f.confidence >= fp.autoAcceptAt)) {
      reason = {
        code: 'low_field_confidence',
        message: `${field}: confidence ${f ? formatPercent(f.confidence) : 'unknown'} is below its threshold ${formatPercent(fp.autoAcceptAt)}`,
        fields: [field],
      };
    }
    if (reason) {
      reasons.push(reason);
      queue ??= fp.queue ?? null;
    }
  }
  if (policy.autoAccept) {
    if (!gate) throw new Error('A certified policy is routed with the gate of its certificate');
    if (!gate.open) reasons.push(gate.reason);
    else if (!(answer.score !== undefined && answer.score >= gate.threshold))
      reasons.push({
        code: 'below_certified_threshold',
        message: `Score ${answer.score?.toFixed(2) ?? 'unknown'} is below the certified threshold ${gate.threshold.toFixed(2)}`,
      });
  } else if (policy.autoAcceptAt !== undefined && answer.confidence < policy.autoAcceptAt) {
    reasons.push({
      code: 'low_confidence',
      message: `Confidence ${formatPercent(answer.confidence)} is below the auto-accept threshold ${formatPercent(policy.autoAcceptAt)}`,
    });
  }
  if (reasons.length === 0) return { route: 'auto', queue: null, reasons };
  return { route: 'review', queue: queue ?? policy.queue, reasons };
}

/**
 * How many independent verdicts by different people a routed decision needs: the most its policy
 * (`reviewers`, default 1) or any risk rule it triggered asks for. A rule that could not be
 * evaluated counts as triggered here too, as it does for routing.
 *
 * @example
 * const policy = { autoAcceptAt: 0.9, queue: 'refunds', risks: [{ name: 'large', reason: '...', reviewers: 2, when }] };
 * reviewersRequired(policy, routeDecision(policy, ctx, answer).reasons); // 2 when "large" matched, else 1
 */
export function reviewersRequired<C>(policy: RoutingPolicy<C>, reasons: readonly RouteReason[]): number {
  const triggered = new Set(
    reasons.filter((r) => r.code === 'risk_rule' || r.code === 'risk_rule_error').map((r) => r.rule),
  );
  let n = policy.reviewers ?? 1;
  for (const rule of policy.risks ?? []) if (triggered.has(rule.name)) n = Math.max(n, rule.reviewers ?? 1);
  // A field's own policy sent it to review (below its threshold, or its certificate's).
  const fieldCodes: RouteReasonCode[] = [
    'low_field_confidence',
    'below_certified_threshold',
    'uncertified',
    'model_not_certified',
    'auto_accept_paused',
  ];
  for (const r of reasons)
    if (fieldCodes.includes(r.code) && r.fields?.length === 1 && !r.rule)
      n = Math.max(n, policy.fields?.[r.fields[0] as string]?.reviewers ?? 1);
  return n;
}

/**
 * A decision's inclusion probability in the audit sample: 1 when it goes to a person; for an
 * auto-accepted one, the policy's audit rate (a certified state's rate just above its threshold
 * when it names one, its default rate when it names none; 0 for a fixed threshold that audits
 * nothing). Recorded with every decision: labels drawn with a known probability are the fair ones.
 */
export function auditProbability<C>(
  policy: RoutingPolicy<C>,
  decision: { route: Route; score: number | null; threshold: number | null },
): number {
  if (decision.route === 'review') return 1;
  // A certified field needs its audit sample too: certified states audit by default.
  const certifiedField = Object.values(policy.fields ?? {}).some((f) => f.autoAccept !== undefined);
  if (!policy.autoAccept) return policy.sampleRate ?? (certifiedField ? DEFAULT_AUDIT_RATE : 0);
  const near = policy.sampleNearThreshold;
  if (
    near &&
    decision.score !== null &&
    decision.threshold !== null &&
    decision.score - decision.threshold < near.scoreMargin
  )
    return near.rate;
  return policy.sampleRate ?? DEFAULT_AUDIT_RATE;
}

function evaluateRule<C>(rule: RiskRule<C>, ctx: C, answer: RiskRuleAnswer): boolean | 'error' {
  try {
    return Boolean(rule.when(ctx, answer));
  } catch {
    return 'error';
  }
}

/**
 * The largest score a decision is ranked and stored with. Providers report +Infinity when no
 * other label was possible (one label offered, no competitor among the log probabilities); JSON
 * has no Infinity, so such a score is kept as this cap, which still ranks above every finite
 * log-odds a model produces (exp(1e6) has no float).
 */
export const SCORE_LIMIT = 1e6;

/**
 * The score a decision is ranked by (certified thresholds are on it): the provider's log-odds,
 * clamped to [-SCORE_LIMIT, SCORE_LIMIT], else the log-odds of its confidence.
 *
 * @example
 * rankingScore(Number.POSITIVE_INFINITY, 1); // => 1e6
 * rankingScore(undefined, 0.9); // => 2.197...
 */
export function rankingScore(score: number | undefined, confidence: number): number {
  if (score !== undefined && !Number.isNaN(score)) return Math.max(-SCORE_LIMIT, Math.min(SCORE_LIMIT, score));
  const p = Math.min(1 - 1e-12, Math.max(1e-12, confidence));
  return Math.log(p / (1 - p));
}

export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/**
 * Whether an auto-accepted decision is sampled for QA review: a deterministic draw from a hash
 * of its key (item, state, visit), so a retried decision is sampled the same way. `hash` is any
 * 32-bit unsigned hash of the key (the engine passes the first bytes of its SHA-256).
 */
export function isSampled(hash: number, rate: number | undefined): boolean {
  return rate !== undefined && rate > 0 && hash / 2 ** 32 < rate;
}
