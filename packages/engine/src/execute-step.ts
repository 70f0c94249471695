import { createHash } from 'node:crypto';
import type { DecisionProvider } from '@signoff/ai';
import {
  type DecideState,
  isAppError,
  type ReviewState,
  type RouteReason,
  routeDecision,
  type StateDefinition,
  type WorkflowContext,
} from '@signoff/core';
import type { DB, Item } from '@signoff/db';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { FaultHook } from './faults';
import { idempotencyKeyOf, type StepJob } from './queue';
import type { WorkflowRegistry } from './registry';
import { commitStep, type DecisionRecord, isAtStep, type StepOutcome } from './transition';

export interface StepDeps {
  db: Kysely<DB>;
  boss: PgBoss;
  registry: WorkflowRegistry;
  provider: DecisionProvider;
  /** Test-only crash injection; see `FaultPoint`. */
  faults?: FaultHook;
}

export type StepResult = 'committed' | 'stale';

/**
 * Runs one state of one item and commits its transition. Idempotent: a job for a state visit the
 * item has already left (a retry after a crash, a duplicate) returns `stale` without running the
 * state again. The state's work runs outside the transaction (an AI call must not hold row locks);
 * its result is committed atomically, after re-checking under the item's lock.
 */
export async function executeStep(deps: StepDeps, job: StepJob, attempts = 1): Promise<StepResult> {
  const item = await deps.db.selectFrom('items').selectAll().where('id', '=', job.itemId).executeTakeFirst();
  if (!item || !isAtStep(item, job)) return 'stale';
  const wf = deps.registry.byVersionId(item.workflow_version_id);
  if (!wf) {
    // Another worker process may have this version loaded; fail the job so it is retried there.
    throw new Error(
      `Workflow version ${item.workflow_version_id} of "${item.workflow_name}" is not loaded by this worker`,
    );
  }
  const state = wf.definition.states[job.state] as StateDefinition<WorkflowContext> | undefined;
  if (!state) throw new Error(`State "${job.state}" does not exist in workflow "${item.workflow_name}" v${wf.version}`);
  const ctx: WorkflowContext = { ...item.context, input: item.input };
  const startedAt = new Date();
  const outcome = await runState(deps, job, item, state, ctx);
  await deps.faults?.('after-effect', job);
  return deps.db.transaction().execute(async (trx) => {
    const result = await commitStep(trx, deps.boss, { job, stateKind: state.kind, startedAt, attempts }, outcome);
    await deps.faults?.('before-commit', job);
    return result;
  });
}

async function runState(
  deps: StepDeps,
  job: StepJob,
  item: Item,
  state: StateDefinition<WorkflowContext>,
  ctx: WorkflowContext,
): Promise<StepOutcome> {
  switch (state.kind) {
    case 'decide':
      return decide(deps, state, ctx);
    case 'task': {
      const output = await state.run(ctx, { itemId: item.id, idempotencyKey: idempotencyKeyOf(job) });
      return { kind: 'advance', output: output ?? null, next: state.next };
    }
    case 'choice': {
      const branch = state.branches.find((b) => b.when(ctx));
      const next = branch?.next ?? state.otherwise;
      return { kind: 'advance', output: { branch: branch?.label ?? (branch ? next : 'otherwise'), next }, next };
    }
    case 'review':
      return { kind: 'await-review', review: reviewRequest(state, ctx) };
    case 'final':
      return { kind: 'finish', status: state.status, output: state.output ? state.output(ctx) : null };
  }
}

function reviewRequest(state: ReviewState<WorkflowContext>, ctx: WorkflowContext) {
  return {
    queue: state.queue,
    labels: state.labels,
    reasons: [
      { code: 'risk_rule', rule: 'review-step', message: state.description ?? 'This step always needs a human' },
    ] as RouteReason[],
    instructions: state.instructions,
    summary: state.show ? state.show(ctx) : null,
    dueInMinutes: state.dueInMinutes,
  };
}

async function decide(deps: StepDeps, state: DecideState<WorkflowContext>, ctx: WorkflowContext): Promise<StepOutcome> {
  const text = state.text(ctx);
  const inputHash = createHash('sha256').update(text).digest('hex');
  const base = { agent: state.agent.name, provider: deps.provider.name, inputText: text, inputHash };
  const review = (reasons: RouteReason[], queue: string) => ({
    queue,
    labels: state.labels,
    reasons,
    instructions: state.agent.instructions,
    summary: null,
    dueInMinutes: state.policy.dueInMinutes,
  });
  let result: Awaited<ReturnType<DecisionProvider['decide']>>;
  try {
    result = await deps.provider.decide(deps.db, { agent: state.agent, labels: state.labels, text });
  } catch (e) {
    // A provider that cannot answer sends the item to a human instead of failing it.
    if (isAppError(e, 'AI_UNAVAILABLE') || isAppError(e, 'AI_INVALID_OUTPUT')) {
      const code = e.code === 'AI_UNAVAILABLE' ? 'ai_unavailable' : 'ai_invalid_output';
      const reasons: RouteReason[] = [{ code, message: e.message }];
      const decision: DecisionRecord = { ...base, result: null, route: 'review', reasons, calibratedConfidence: 0 };
      return { kind: 'await-review', review: review(reasons, state.policy.queue), decision };
    }
    throw e;
  }
  // Calibration arrives with the AI decision layer; until then the calibrated value is the raw one.
  const confidence = result.confidence;
  const routing = routeDecision(state.policy, ctx, { label: result.label, confidence });
  const decision: DecisionRecord = {
    ...base,
    result,
    route: routing.route,
    reasons: routing.reasons,
    calibratedConfidence: confidence,
  };
  if (routing.route === 'review') {
    return { kind: 'await-review', review: review(routing.reasons, routing.queue ?? state.policy.queue), decision };
  }
  const output = { label: result.label, confidence, decidedBy: 'ai', rationale: result.rationale ?? null };
  return { kind: 'advance', output, next: state.next, decision };
}
