// The series a process counts itself: what its workers committed and what its AI calls did. Each
// process that runs workers has its own; sum them across instances in PromQL.
import type { BreakerState } from '@signoff/ai';
import type { CommittedTransition } from '@signoff/engine';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Seconds: a local model answers in milliseconds, a remote one in up to a minute or two. */
export const AI_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** 0 closed, 1 half-open (one probe out), 2 open (calls refused without a request). */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface ProcessMetrics {
  transitions: Counter<'workflow' | 'outcome'>;
  decisions: Counter<'workflow' | 'state' | 'route' | 'reason'>;
  decisionReasons: Counter<'workflow' | 'state' | 'reason'>;
  aiCalls: Counter<'provider' | 'model' | 'outcome'>;
  aiLatency: Histogram<'provider' | 'model' | 'outcome'>;
  aiErrors: Counter<'provider' | 'model' | 'kind'>;
  aiTokens: Counter<'provider' | 'model' | 'direction'>;
  aiCost: Counter<'provider' | 'model'>;
  breakerState: Gauge<'provider'>;
  breakerChanges: Counter<'provider' | 'state'>;
}

/**
 * Registers the process series on `registry`.
 *
 * @example
 * const m = processMetrics(new Registry());
 * m.transitions.inc({ workflow: 'triage', outcome: 'state-result' });
 */
export function processMetrics(registry: Registry): ProcessMetrics {
  const registers = [registry];
  return {
    transitions: new Counter({
      name: 'signoff_transitions_total',
      help: 'Transitions committed by this process (worker jobs: state results and errors, branches, timers, deadlines, failed jobs), by workflow and outcome kind.',
      labelNames: ['workflow', 'outcome'],
      registers,
    }),
    decisions: new Counter({
      name: 'signoff_decisions_total',
      help: 'Decisions committed by this process, by route (auto; sampled: auto-accepted and drawn for a QA review; review) and primary reason code (none when auto-accepted).',
      labelNames: ['workflow', 'state', 'route', 'reason'],
      registers,
    }),
    decisionReasons: new Counter({
      name: 'signoff_decision_reasons_total',
      help: 'Every reason code of the decisions committed by this process (a decision routed to review may have several).',
      labelNames: ['workflow', 'state', 'reason'],
      registers,
    }),
    aiCalls: new Counter({
      name: 'signoff_ai_calls_total',
      help: 'Decide calls to an AI provider made by this process, by outcome (ok, error).',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    }),
    aiLatency: new Histogram({
      name: 'signoff_ai_latency_seconds',
      help: 'Duration of decide calls that reached the provider (refusals of an open circuit breaker excluded), retries and samples included.',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: AI_LATENCY_BUCKETS,
      registers,
    }),
    aiErrors: new Counter({
      name: 'signoff_ai_errors_total',
      help: 'Failed decide calls by kind (AiFailure.kind: unreachable, timeout, http_error, refused_parameter, invalid_output, circuit_open, aborted, not_configured; unknown without details).',
      labelNames: ['provider', 'model', 'kind'],
      registers,
    }),
    aiTokens: new Counter({
      name: 'signoff_ai_tokens_total',
      help: 'Tokens of successful decide calls, by direction (in: prompt, out: completion).',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    }),
    aiCost: new Counter({
      name: 'signoff_ai_cost_usd_total',
      help: 'Estimated cost in US dollars of successful decide calls at the model list price (calls of unknown price count 0).',
      labelNames: ['provider', 'model'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'signoff_ai_circuit_breaker_state',
      help: 'Circuit breaker of an AI endpoint in this process: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider'],
      registers,
    }),
    breakerChanges: new Counter({
      name: 'signoff_ai_circuit_breaker_changes_total',
      help: 'Changes of state of the circuit breaker of an AI endpoint in this process, by the state entered.',
      labelNames: ['provider', 'state'],
      registers,
    }),
  };
}

/**
 * Counts committed transitions and their decisions (the engine's `onCommitted`): each decision by
 * its route and primary (first) reason code, and each of its reason codes on its own.
 */
export function countCommitted(m: ProcessMetrics, transitions: readonly CommittedTransition[]): void {
  for (const t of transitions) {
    m.transitions.inc({ workflow: t.workflow, outcome: t.outcome });
    for (const d of t.plan.decisions) {
      const codes = reasonCodes(d.reasons);
      m.decisions.inc({ workflow: t.workflow, state: d.state, route: d.route, reason: codes[0] ?? 'none' });
      for (const code of new Set(codes)) m.decisionReasons.inc({ workflow: t.workflow, state: d.state, reason: code });
    }
  }
}

function reasonCodes(reasons: unknown): string[] {
  if (!Array.isArray(reasons)) return [];
  return reasons.flatMap((r) =>
    r && typeof r === 'object' && typeof (r as { code?: unknown }).code === 'string'
      ? [(r as { code: string }).code]
      : [],
  );
}
