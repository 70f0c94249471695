// Pieces every planner shares: an empty plan, the position check, moving an item on (bounded
// loops, choice and final states evaluated on the way), finishing and failing it, retries.
import type {
  ChoiceState,
  FinalState,
  FinalStatus,
  StateDefinition,
  WorkflowContext,
  WorkflowDefinition,
} from '@signoff/core';
import { type Actor, payloadHash, SYSTEM, textHash } from '@signoff/governance';
import type {
  DecisionInsert,
  DecisionRecord,
  ErrorInfo,
  ItemSnapshot,
  Plan,
  PlanEnv,
  ReviewRequest,
  ReviewTaskInsert,
  TransitionResult,
} from './plan-types';
import type { StepJob } from './queue';

/** How many choice/final states one transition evaluates on its way before leaving the rest to jobs. */
export const INLINE_LIMIT = 32;

export function emptyPlan(item: Pick<ItemSnapshot, 'id' | 'audit_seq' | 'audit_hash'>, result: TransitionResult): Plan {
  return {
    itemId: item.id,
    result,
    head: { seq: item.audit_seq, hash: item.audit_hash },
    stateRuns: [],
    stateRunCloses: [],
    decisions: [],
    reviewTasks: [],
    taskUpdates: [],
    reviews: [],
    labels: [],
    branchRuns: [],
    branchUpdates: [],
    eventWaits: [],
    eventWaitResolves: [],
    eventsConsumed: [],
    events: [],
    jobs: [],
  };
}

/** Nothing to write: the job or request no longer matches where the item is. */
export function stalePlan(item: ItemSnapshot): Plan {
  return emptyPlan(item, 'stale');
}

export function audit(p: Plan, actor: Actor, action: string, data: Record<string, unknown>): void {
  p.events.push({ actor, action, data });
}

/**
 * Whether the item is where this job expects it: at the job's state visit (and, for work on the
 * main line, at the job's attempt) and running, or waiting for the timer/deadline jobs of a wait.
 * Anything else means the job is stale (a duplicate, or a retry after the transition committed).
 */
export function isAtStep(
  item: Pick<ItemSnapshot, 'status' | 'current_state' | 'visits' | 'attempt'> | undefined,
  job: StepJob,
): boolean {
  if (!item || item.current_state !== job.state || (item.visits[job.state] ?? 0) !== job.visit) return false;
  const kind = job.kind ?? 'run';
  if (kind !== 'run') return item.status === 'waiting';
  if (item.status !== 'running') return false;
  return job.branch !== undefined || item.attempt === (job.attempt ?? 1);
}

/** The item's position as a plan starts from it: unchanged until a planner moves it. */
export function currentPosition(item: ItemSnapshot): NonNullable<Plan['item']> {
  return {
    status: item.status,
    current_state: item.current_state,
    visits: { ...item.visits },
    attempt: item.attempt,
    context: { ...item.context },
    error: null,
    finished_at: null,
  };
}

export function stateOf(definition: WorkflowDefinition, name: string): StateDefinition<WorkflowContext> {
  const state = definition.states[name] as StateDefinition<WorkflowContext> | undefined;
  if (!state) throw new Error(`State "${name}" does not exist in workflow "${definition.name}"`);
  return state;
}

export interface MoveOptions {
  actor?: Actor;
  /** Merged into the context before the output (a parallel state's branch outputs, by branch name). */
  extraContext?: Record<string, unknown>;
}

/**
 * Records `from`'s output in the context and moves the item to `next`: a state entered more often
 * than its `maxVisits` sends the item to its `onMaxVisits` instead; `choice` and `final` states on
 * the way are evaluated here (each with its state run and audit event), up to `INLINE_LIMIT`; the
 * item ends running at the first state that needs work, with its job, or finished.
 */
export function moveTo(
  p: Plan,
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  from: string,
  output: unknown,
  next: string,
  options: MoveOptions = {},
): void {
  const position = p.item ?? currentPosition(item);
  const visits = position.visits;
  const context: Record<string, unknown> = { ...position.context, ...options.extraContext };
  let actor = options.actor ?? SYSTEM;
  let source = from;
  let value: unknown = output ?? null;
  let target = next;
  for (let step = 0; ; step++) {
    const limit = definition.states[target] as { maxVisits?: number; onMaxVisits?: string } | undefined;
    if (limit?.maxVisits !== undefined && limit.onMaxVisits && (visits[target] ?? 0) + 1 > limit.maxVisits) {
      audit(p, SYSTEM, 'state.max_visits_reached', {
        state: target,
        maxVisits: limit.maxVisits,
        redirectedTo: limit.onMaxVisits,
      });
      target = limit.onMaxVisits;
    }
    const sourceVisit = visits[source] ?? 1;
    const visit = (visits[target] ?? 0) + 1;
    visits[target] = visit;
    context[source] = value;
    audit(p, actor, 'state.completed', {
      state: source,
      visit: sourceVisit,
      // The output stays in the state run and the context; the event proves it by its digest.
      outputHash: payloadHash(value),
      ...labelOf(definition, source, value),
      next: target,
      nextVisit: visit,
    });
    // States evaluated on the way are the engine's doing, whoever made the first move.
    actor = SYSTEM;
    const state = stateOf(definition, target);
    const inline = step < INLINE_LIMIT ? evaluateInline(state, { ...context, input: item.input }) : undefined;
    if (inline?.kind === 'choice') {
      p.stateRuns.push(stateRun(item, env, target, visit, 'choice', inline.output, inline.next, 1, env.now));
      source = target;
      value = inline.output;
      target = inline.next;
      continue;
    }
    if (inline?.kind === 'final') {
      p.stateRuns.push(stateRun(item, env, target, visit, 'final', inline.output, null, 1, env.now));
      p.item = { ...position, visits, context, status: 'running', current_state: target, attempt: 1 };
      finish(p, env, target, inline.status, inline.output);
      return;
    }
    p.item = {
      ...position,
      status: 'running',
      current_state: target,
      visits,
      attempt: 1,
      context,
      error: null,
      finished_at: null,
    };
    p.jobs.push({ data: { itemId: item.id, state: target, visit } });
    return;
  }
}

/**
 * The label a decide or review state answered with: one of the state's declared labels, a fact
 * (not item data) the event keeps in clear. A structured decision's label is its record (names,
 * tax ids): the event keeps its digest and the fields a person changed.
 */
function labelOf(
  definition: WorkflowDefinition,
  state: string,
  output: unknown,
): { label?: string; labelHash?: string | null; changedFields?: unknown } {
  const def = definition.states[state] as { kind?: string; output?: unknown } | undefined;
  if (def?.kind !== 'decide' && def?.kind !== 'review') return {};
  const o = output as { label?: unknown; changedFields?: unknown } | null;
  const label = o?.label;
  if (typeof label !== 'string') return {};
  if (def.kind === 'decide' && def.output)
    return { labelHash: textHash(label), ...(o?.changedFields ? { changedFields: o.changedFields } : {}) };
  return { label };
}

type Inline =
  | { kind: 'choice'; output: { branch: string; next: string }; next: string }
  | { kind: 'final'; status: FinalStatus; output: unknown };

/**
 * A choice's branch or a final state's output, computed on the way. A predicate or output that
 * throws is left to the state's own job, where its failure policy applies.
 */
function evaluateInline(state: StateDefinition<WorkflowContext>, ctx: WorkflowContext): Inline | undefined {
  try {
    if (state.kind === 'choice') {
      const output = chooseBranch(state, ctx);
      return { kind: 'choice', output, next: output.next };
    }
    if (state.kind === 'final') return { kind: 'final', status: state.status, output: finalOutput(state, ctx) };
  } catch {
    return undefined;
  }
  return undefined;
}

/** A choice state's first matching branch (or `otherwise`), as its output. */
export function chooseBranch(state: ChoiceState<WorkflowContext>, ctx: WorkflowContext) {
  const branch = state.branches.find((b) => b.when(ctx));
  const next = branch?.next ?? state.otherwise;
  return { branch: branch?.label ?? (branch ? next : 'otherwise'), next };
}

export function finalOutput(state: FinalState<WorkflowContext>, ctx: WorkflowContext): unknown {
  return state.output ? (state.output(ctx) ?? null) : null;
}

/** Ends the item at `state` with `status`, its output in the context. */
export function finish(p: Plan, env: PlanEnv, state: string, status: string, output: unknown): void {
  const position = p.item as NonNullable<Plan['item']>;
  p.item = {
    ...position,
    status,
    current_state: state,
    context: { ...position.context, [state]: output ?? null },
    finished_at: env.now,
  };
  audit(p, SYSTEM, 'item.finished', { state, status, outputHash: payloadHash(output) });
}

/** Marks the item failed with its error, audited: the end of a state that kept failing. */
export function failItem(
  p: Plan,
  item: ItemSnapshot,
  env: PlanEnv,
  at: { state: string; visit: number; branch?: string | undefined },
  error: ErrorInfo & { reason?: string | null },
  actor: Actor = SYSTEM,
  /** The error's message as the event records it, when `error.message` quotes free text (the reason). */
  auditMessage?: string,
): void {
  const position = p.item ?? currentPosition(item);
  p.item = { ...position, status: 'failed', error: { state: at.state, ...error }, finished_at: env.now };
  // An operator's reason is free text: the event keeps its digest, the error on the item the text.
  const { reason, ...facts } = error;
  audit(p, actor, 'item.failed', {
    state: at.state,
    visit: at.visit,
    ...(at.branch ? { branch: at.branch } : {}),
    error: auditMessage ? { ...facts, message: auditMessage } : facts,
    ...(reason !== undefined ? { reasonHash: textHash(reason) } : {}),
  });
}

export function stateRun(
  item: Pick<ItemSnapshot, 'id' | 'workflow_name'>,
  env: PlanEnv,
  state: string,
  visit: number,
  kind: string,
  output: unknown,
  next: string | null,
  attempts: number,
  startedAt: Date,
  status: 'done' | 'waiting' = 'done',
): Plan['stateRuns'][number] {
  return {
    id: env.newId(),
    item_id: item.id,
    workflow_name: item.workflow_name,
    state,
    visit,
    kind,
    status,
    output: status === 'waiting' ? null : (output ?? null),
    next_state: next,
    attempts,
    started_at: startedAt,
    finished_at: env.now,
  };
}

/**
 * The review tasks of a state visit, with their `review.requested` events: one, or one per slot
 * (1..N) when the request needs N independent verdicts, all in the same queue at once. QA tasks do
 * not hold the item and are always single.
 */
export function requestReview(
  p: Plan,
  env: PlanEnv,
  at: { itemId: string; state: string; visit: number },
  r: ReviewRequest,
  decisionId: string | null,
): void {
  const required = r.kind === 'qa' ? 1 : Math.max(1, r.reviewers ?? 1);
  for (let slot = 1; slot <= required; slot++) {
    const task: ReviewTaskInsert = {
      id: env.newId(),
      item_id: at.itemId,
      state: at.state,
      visit: at.visit,
      decision_id: decisionId,
      kind: r.kind,
      queue: r.queue,
      labels: r.labels,
      reasons: r.reasons,
      instructions: r.instructions,
      summary: r.summary ?? null,
      due_at: r.dueInMinutes ? new Date(env.now.getTime() + r.dueInMinutes * 60_000) : null,
      escalate_to: r.escalateTo ?? 'escalations',
      priority: 0,
      slot,
      reviewers_required: required,
    };
    p.reviewTasks.push(task);
    audit(p, SYSTEM, 'review.requested', {
      state: at.state,
      visit: at.visit,
      taskId: task.id,
      queue: r.queue,
      reasons: r.reasons,
      decisionId,
      ...(r.kind === 'qa' ? { qa: true } : {}),
      ...(required > 1 ? { slot, reviewersRequired: required } : {}),
    });
  }
}

/** Records a decision at a state run, with its `decision.made` event; returns its id. */
export function recordDecision(
  p: Plan,
  env: PlanEnv,
  at: { itemId: string; state: string },
  stateRunId: string,
  d: DecisionRecord,
): string {
  const row = decisionInsert(env.newId(), at, stateRunId, d);
  p.decisions.push(row);
  audit(p, SYSTEM, 'decision.made', decisionEventData(at.state, row.id, d));
  return row.id;
}

/** The `decisions` row of a decision recorded at a state run. */
export function decisionInsert(
  id: string,
  at: { itemId: string; state: string },
  stateRunId: string,
  d: DecisionRecord,
): DecisionInsert {
  const r = d.result;
  const toolCalls = toolCallsOf(r);
  return {
    id,
    item_id: at.itemId,
    state_run_id: stateRunId,
    state: at.state,
    agent: d.agent,
    provider: r?.provider ?? d.provider,
    // A call that got no answer still names the model it asked (from the failure), when known.
    model: r?.model ?? d.failure?.model ?? 'unavailable',
    model_version: r?.modelVersion ?? d.failure?.model ?? 'unavailable',
    prompt_version: r?.promptVersion ?? 'unavailable',
    input_hash: r?.inputHash ?? d.inputHash,
    input_text: d.inputText,
    output: {
      ...(r ? { label: r.label, rationale: r.rationale ?? null } : {}),
      ...(d.structured ? { value: d.structured.value, fields: d.structured.fields } : {}),
      ...(d.checker ? { checker: d.checker } : {}),
      ...(toolCalls ? { toolCalls } : {}),
    },
    label: r?.label ?? null,
    confidence: r?.confidence ?? 0,
    confidence_method: r?.confidenceMethod ?? 'none',
    calibrated_confidence: d.calibratedConfidence,
    calibrator_id: d.calibratorId ?? null,
    route: d.route,
    reasons: d.reasons,
    latency_ms: Math.round(r?.latencyMs ?? 0),
    tokens_in: r?.tokensIn ?? null,
    tokens_out: r?.tokensOut ?? null,
    // The local model runs in-process: free, whether or not its result says so.
    cost_usd: r?.costUsd ?? (r?.provider === 'local' ? 0 : null),
    score: d.score,
    audit_probability: d.auditProbability,
    threshold: d.threshold,
    policy_version_id: d.policyVersionId ?? null,
    certificate_id: d.certificateId ?? null,
    output_mode: r?.outputMode ?? null,
    confidence_note: r?.confidenceNote ?? null,
  };
}

/** The data of a `decision.made` audit event. */
export function decisionEventData(state: string, decisionId: string, d: DecisionRecord): Record<string, unknown> {
  const r = d.result;
  const toolCalls = toolCallsOf(r);
  return {
    state,
    decisionId,
    agent: d.agent,
    provider: r?.provider ?? d.provider,
    model: r?.model ?? null,
    modelVersion: r?.modelVersion ?? null,
    promptVersion: r?.promptVersion ?? null,
    // A structured answer is a record (names, tax ids): the event keeps its digest and the
    // confidence of each field, the decision row the values.
    ...(d.structured
      ? {
          label: null,
          labelHash: textHash(r?.label),
          fieldConfidence: Object.fromEntries(
            Object.entries(d.structured.fields).map(([k, f]) => [k, { confidence: f.confidence, method: f.method }]),
          ),
        }
      : { label: r?.label ?? null }),
    confidence: r?.confidence ?? null,
    calibratedConfidence: d.calibratedConfidence,
    calibratorId: d.calibratorId ?? null,
    confidenceMethod: r?.confidenceMethod ?? null,
    route: d.route,
    reasons: d.reasons,
    score: d.score,
    auditProbability: d.auditProbability,
    threshold: d.threshold,
    ...(d.policyVersionId ? { policyVersionId: d.policyVersionId, certificateId: d.certificateId ?? null } : {}),
    // The checker's answer and the tool calls (arguments, results) stay in the decision's output;
    // the event keeps the checker's verdict and the digests.
    ...(d.checker
      ? {
          checker: {
            agent: d.checker.agent,
            agrees: d.checker.agrees,
            label: d.checker.label,
            confidence: d.checker.confidence,
          },
          checkerHash: payloadHash(d.checker),
        }
      : {}),
    ...(toolCalls ? { toolCalls: toolCalls.length, toolCallsHash: payloadHash(toolCalls) } : {}),
  };
}

/** The tools the model called while deciding, if the provider reports them. */
function toolCallsOf(r: DecisionRecord['result']): unknown[] | undefined {
  const calls = (r as { toolCalls?: unknown[] } | null)?.toolCalls;
  return calls && calls.length > 0 ? calls : undefined;
}
