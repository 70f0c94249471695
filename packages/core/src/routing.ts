import type { RiskRule, RoutingPolicy } from './workflow';

export type Route = 'auto' | 'review' | 'sampled';

export type RouteReasonCode =
  | 'low_confidence'
  | 'risk_rule'
  | 'risk_rule_error'
  | 'ai_unavailable'
  | 'ai_invalid_output'
  | 'qa_sample'
  | 'checker_disagrees';

export interface RouteReason {
  code: RouteReasonCode;
  /** For a reviewer: why this item is in front of them. */
  message: string;
  /** The risk rule's name, for `risk_rule` reasons. */
  rule?: string;
}

export interface RoutingResult {
  route: Route;
  /** The review queue, when `route` is `review`. */
  queue: string | null;
  reasons: RouteReason[];
}

/**
 * Applies a `decide` state's policy to one AI answer: every matching risk rule and a confidence
 * below the threshold each add a reason; any reason means review. A risk rule that throws counts
 * as matching, since an unevaluable safeguard must not wave an item through.
 *
 * @example
 * routeDecision({ autoAcceptAt: 0.9, queue: 'support' }, ctx, { label: 'billing', confidence: 0.62 });
 * // => { route: 'review', queue: 'support', reasons: [{ code: 'low_confidence', ... }] }
 */
export function routeDecision<C>(
  policy: RoutingPolicy<C>,
  ctx: C,
  answer: { label: string; confidence: number },
): RoutingResult {
  const reasons: RouteReason[] = [];
  let queue: string | null = null;
  for (const rule of policy.risks ?? []) {
    const hit = evaluateRule(rule, ctx, answer);
    if (hit === 'error') {
      reasons.push({
        code: 'risk_rule_error',
        rule: rule.name,
        message: `Risk rule "${rule.name}" could not be evaluated`,
      });
      queue ??= rule.queue ?? null;
    } else if (hit) {
      reasons.push({ code: 'risk_rule', rule: rule.name, message: rule.reason });
      queue ??= rule.queue ?? null;
    }
  }
  if (answer.confidence < policy.autoAcceptAt) {
    reasons.push({
      code: 'low_confidence',
      message: `Confidence ${formatPercent(answer.confidence)} is below the auto-accept threshold ${formatPercent(policy.autoAcceptAt)}`,
    });
  }
  if (reasons.length === 0) return { route: 'auto', queue: null, reasons };
  return { route: 'review', queue: queue ?? policy.queue, reasons };
}

function evaluateRule<C>(rule: RiskRule<C>, ctx: C, answer: { label: string; confidence: number }): boolean | 'error' {
  try {
    return Boolean(rule.when(ctx, answer));
  } catch {
    return 'error';
  }
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
