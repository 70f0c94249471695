import { createHash } from 'node:crypto';
import type { CalibrationSource, DecisionProvider } from '@signoff/ai';
import {
  DEFAULT_RETRY,
  type DecideState,
  isAppError,
  isSampled,
  type ReviewState,
  type RouteReason,
  routeDecision,
  type StateDefinition,
  type WaitState,
  type WorkflowContext,
} from '@signoff/core';
import type { DB, Item } from '@signoff/db';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { handleStateFailure } from './failure';
import type { FaultHook } from './faults';
import { executeBranch } from './parallel';
import { idempotencyKeyOf, type ParsedStepJob, type StepJob, stepJob } from './queue';
import type { WorkflowRegistry } from './registry';
import { withTimeLimit } from './time-limit';
import { commitStep, type DecisionRecord, isAtStep, type ReviewRequest, type StepOutcome } from './transition';
import { consumeEarlyEvent, resumeWait } from './waits';

export interface StepDeps {
  db: Kysely<DB>;
  boss: PgBoss;
  registry: WorkflowRegistry;
  provider: DecisionProvider;
  /** Test-only crash injection; see `FaultPoint`. */
  faults?: FaultHook;
  /** Source of randomness for back-off jitter (tests fix it). */
  random?: () => number;
  /** Calibrates each decision's confidence before routing; without it, calibrated = raw. */
  calibration?: CalibrationSource;
}

export type StepResult = 'committed' | 'stale' | 'retrying' | 'fallback' | 'failed';

/**
 * Runs one job of one item and commits its transition. Idempotent: a job for a state visit (or
 * attempt) the item has already left returns `stale` without running anything. The state's work
 * runs outside the transaction (an AI call must not hold row locks); its result is committed
 * atomically after re-checking under the item's lock. A state whose work throws is retried, sent
 * down its `onError` path or failed, per its policy; only errors of our own (the database) escape,
 * so that pg-boss retries the job.
 */
export async function executeStep(deps: StepDeps, input: StepJob): Promise<StepResult> {
  const job = stepJob.parse(input);
  const item = await deps.db.selectFrom('items').selectAll().where('id', '=', job.itemId).executeTakeFirst();
  if (!item || !isAtStep(item, job)) return 'stale';
  const wf = deps.registry.byVersionId(item.workflow_version_id);
  if (!wf) {
    // Another worker process may have this version loaded; fail the job so it is retried there.
    throw new Error(
      `Workflow version ${item.workflow_version_id} of "${item.workflow_name}" is not loaded by this worker`,
    );
  }
  const definition = wf.definition;
  const state = definition.states[job.state] as StateDefinition<WorkflowContext> | undefined;
  if (!state) throw new Error(`State "${job.state}" does not exist in workflow "${item.workflow_name}" v${wf.version}`);
  if (job.branch !== undefined) {
    if (state.kind !== 'parallel') throw new Error(`State "${job.state}" has no branches`);
    return executeBranch(deps, job, item, definition, state);
  }
  if (job.kind !== 'run') {
    if (state.kind !== 'wait') throw new Error(`State "${job.state}" is not a wait`);
    return resumeWait(deps.db, deps.boss, job, definition, state);
  }

  const ctx: WorkflowContext = { ...item.context, input: item.input };
  const startedAt = new Date();
  let outcome: StepOutcome;
  try {
    outcome = await runState(deps, job, item, state, ctx);
  } catch (error) {
    const policy = state.kind === 'task' || state.kind === 'decide' ? state : {};
    return handleStateFailure(deps, job, definition, policy, error, startedAt);
  }
  await deps.faults?.('after-effect', job);
  return deps.db.transaction().execute(async (trx) => {
    const result = await commitStep(trx, deps.boss, { job, definition, startedAt }, outcome);
    if (result === 'committed' && outcome.kind === 'await-event')
      await consumeEarlyEvent(trx, deps, {
        item_id: job.itemId,
        state: job.state,
        visit: job.visit,
        name: outcome.name,
        key: outcome.key,
      });
    await deps.faults?.('before-commit', job);
    return result;
  });
}

/** Runs a state's own work (outside any transaction) and returns what to commit. */
export async function runState(
  deps: StepDeps,
  job: ParsedStepJob,
  item: Item,
  state: StateDefinition<WorkflowContext>,
  ctx: WorkflowContext,
): Promise<StepOutcome> {
  switch (state.kind) {
    case 'decide':
      return decide(deps, job, state, ctx);
    case 'task': {
      const output = await withTimeLimit(state.timeoutMs, `state "${job.state}"`, (signal) =>
        state.run(ctx, { itemId: item.id, idempotencyKey: idempotencyKeyOf(job), attempt: job.attempt, signal }),
      );
      return { kind: 'advance', output: output ?? null, next: state.next };
    }
    case 'choice': {
      const branch = state.branches.find((b) => b.when(ctx));
      const next = branch?.next ?? state.otherwise;
      return { kind: 'advance', output: { branch: branch?.label ?? (branch ? next : 'otherwise'), next }, next };
    }
    case 'review':
      return { kind: 'await-review', review: reviewRequest(state, ctx) };
    case 'parallel':
      return { kind: 'fan-out', branches: Object.keys(state.branches) };
    case 'wait':
      return waitOutcome(state, ctx);
    case 'final':
      return { kind: 'finish', status: state.status, output: state.output ? state.output(ctx) : null };
  }
}

/** What the checker agent answered, and whether it agrees with the first agent. */
export interface CheckerResult {
  agent: string;
  agrees: boolean;
  label: string | null;
  confidence: number | null;
  model: string | null;
  modelVersion: string | null;
  promptVersion: string | null;
  error?: string;
  message: string;
}

async function runChecker(
  deps: StepDeps,
  job: ParsedStepJob,
  state: DecideState<WorkflowContext>,
  ctx: WorkflowContext,
  text: string,
  label: string,
): Promise<CheckerResult> {
  const spec = state.checker as NonNullable<DecideState<WorkflowContext>['checker']>;
  try {
    const r = await withTimeLimit(state.timeoutMs, `checker at "${job.state}"`, (signal) =>
      deps.provider.decide(deps.db, {
        agent: spec.agent,
        labels: state.labels,
        text: spec.text ? spec.text(ctx) : text,
        signal,
      }),
    );
    const agrees = r.label === label;
    return {
      agent: spec.agent.name,
      agrees,
      label: r.label,
      confidence: r.confidence,
      model: r.model,
      modelVersion: r.modelVersion,
      promptVersion: r.promptVersion,
      message: agrees
        ? `Checker agent "${spec.agent.name}" agrees`
        : `Checker agent "${spec.agent.name}" answered "${r.label}" (${Math.round(r.confidence * 100)}%), not "${label}"`,
    };
  } catch (e) {
    // A checker that cannot answer has not confirmed anything: the answer is unverified.
    if (!(isAppError(e, 'AI_UNAVAILABLE') || isAppError(e, 'AI_INVALID_OUTPUT') || isAppError(e, 'TIMEOUT'))) throw e;
    const error = (e as Error).message;
    return {
      agent: spec.agent.name,
      agrees: false,
      label: null,
      confidence: null,
      model: null,
      modelVersion: null,
      promptVersion: null,
      error,
      message: `Checker agent "${spec.agent.name}" could not answer, so the answer is unverified: ${error}`,
    };
  }
}

function waitOutcome(state: WaitState<WorkflowContext>, ctx: WorkflowContext): StepOutcome {
  const now = Date.now();
  if (!state.event) return { kind: 'await-timer', until: new Date(now + (state.durationMs ?? 0)) };
  const key = state.event.key(ctx);
  return {
    kind: 'await-event',
    name: state.event.name,
    key,
    deadline: state.timeoutMs !== undefined ? new Date(now + state.timeoutMs) : null,
  };
}

function reviewRequest(state: ReviewState<WorkflowContext>, ctx: WorkflowContext): ReviewRequest {
  return {
    kind: 'review',
    queue: state.queue,
    labels: state.labels,
    reasons: [
      { code: 'risk_rule', rule: 'review-step', message: state.description ?? 'This step always needs a human' },
    ],
    instructions: state.instructions,
    summary: state.show ? state.show(ctx) : null,
    dueInMinutes: state.dueInMinutes,
    escalateTo: state.escalateTo,
  };
}

async function decide(
  deps: StepDeps,
  job: ParsedStepJob,
  state: DecideState<WorkflowContext>,
  ctx: WorkflowContext,
): Promise<StepOutcome> {
  const text = state.text(ctx);
  const inputHash = createHash('sha256').update(text).digest('hex');
  const base = { agent: state.agent.name, provider: deps.provider.name, inputText: text, inputHash };
  const review = (reasons: RouteReason[], queue: string): ReviewRequest => ({
    kind: 'decision',
    queue,
    labels: state.labels,
    reasons,
    instructions: state.agent.instructions,
    summary: null,
    dueInMinutes: state.policy.dueInMinutes,
    escalateTo: state.policy.escalateTo,
  });
  let result: Awaited<ReturnType<DecisionProvider['decide']>>;
  try {
    result = await withTimeLimit(state.timeoutMs, `decision at "${job.state}"`, (signal) =>
      deps.provider.decide(deps.db, { agent: state.agent, labels: state.labels, text, signal }),
    );
  } catch (e) {
    const aiFailure = isAppError(e, 'AI_UNAVAILABLE') || isAppError(e, 'AI_INVALID_OUTPUT') || isAppError(e, 'TIMEOUT');
    // With tries left (the state's retry budget, 3 by default), the failure goes through its retry
    // policy: another try after a back-off. Past the budget, to a human, with the reason.
    if (!aiFailure || job.attempt < (state.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts)) throw e;
    const code = isAppError(e, 'AI_INVALID_OUTPUT') ? 'ai_invalid_output' : 'ai_unavailable';
    const reasons: RouteReason[] = [{ code, message: (e as Error).message }];
    const decision: DecisionRecord = { ...base, result: null, route: 'review', reasons, calibratedConfidence: 0 };
    return { kind: 'await-review', review: review(reasons, state.policy.queue), decision };
  }
  // Routing trusts the calibrated confidence: the probability, learnt from human labels, that an
  // answer given with this raw confidence by this model version is right.
  const calibrated = deps.calibration
    ? await deps.calibration.calibrate(deps.db, state.agent.name, result.modelVersion, result.confidence)
    : { value: result.confidence, calibratorId: null };
  const check = state.checker ? await runChecker(deps, job, state, ctx, text, result.label) : undefined;
  let confidence = calibrated.value;
  const checkerReasons: RouteReason[] = [];
  if (check && !check.agrees) {
    if ((state.checker?.onDisagree ?? 'review') === 'lower') confidence *= state.checker?.penalty ?? 0.5;
    else checkerReasons.push({ code: check.error ? 'ai_unavailable' : 'checker_disagrees', message: check.message });
  }
  const routed = routeDecision(state.policy, ctx, { label: result.label, confidence });
  const reasons = [...checkerReasons, ...routed.reasons];
  const routing = { ...routed, reasons, route: reasons.length > 0 ? ('review' as const) : routed.route };
  const decision: DecisionRecord = {
    ...base,
    result,
    route: routing.route,
    reasons: routing.reasons,
    calibratedConfidence: confidence,
    calibratorId: calibrated.calibratorId,
    ...(check ? { checker: check } : {}),
  };
  if (routing.route === 'review')
    return { kind: 'await-review', review: review(routing.reasons, routing.queue ?? state.policy.queue), decision };
  const output = { label: result.label, confidence, decidedBy: 'ai', rationale: result.rationale ?? null };
  const rate = state.policy.sampleRate;
  if (isSampled(createHash('sha256').update(idempotencyKeyOf(job)).digest().readUInt32BE(0), rate)) {
    const reasons: RouteReason[] = [
      {
        code: 'qa_sample',
        message: `Auto-accepted, and sampled for quality review (${Math.round((rate ?? 0) * 100)}% of auto-accepted decisions)`,
      },
    ];
    const qa = {
      ...review(reasons, state.policy.sampleQueue ?? state.policy.queue),
      kind: 'qa' as const,
      dueInMinutes: undefined,
    };
    return { kind: 'advance', output, next: state.next, decision: { ...decision, route: 'sampled', reasons }, qa };
  }
  return { kind: 'advance', output, next: state.next, decision };
}
