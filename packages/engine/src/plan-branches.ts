// Plans for the branches of a parallel state: a branch's result (the last one joins), its failure
// (retry, or cancel the siblings and fail the state).
import {
  DEFAULT_RETRY,
  type ParallelState,
  retryDelayMs,
  type WorkflowContext,
  type WorkflowDefinition,
} from '@signoff/core';
import { payloadHash, SYSTEM } from '@signoff/governance';
import { audit, emptyPlan, failItem, isAtStep, moveTo, stalePlan, stateOf, stateRun } from './plan-common';
import { scheduleRetry } from './plan-state';
import type { BranchRow, BranchRunUpdate, ItemSnapshot, Outcome, Plan, PlanEnv } from './plan-types';
import type { ParsedStepJob } from './queue';

function parallelState(definition: WorkflowDefinition, job: ParsedStepJob): ParallelState<WorkflowContext> {
  const state = stateOf(definition, job.state);
  if (state.kind !== 'parallel') throw new Error(`State "${job.state}" has no branches`);
  return state;
}

/** The locked row of the job's branch, if the job is still that branch's current try. */
function currentBranch(item: ItemSnapshot, job: ParsedStepJob, branches: readonly BranchRow[]): BranchRow | undefined {
  if (!isAtStep(item, job)) return undefined;
  const row = branches.find((b) => b.branch === job.branch);
  return row?.status === 'running' && row.attempt === job.attempt ? row : undefined;
}

function branchUpdate(item: ItemSnapshot, job: ParsedStepJob, row: BranchRow, change: Partial<BranchRunUpdate>) {
  return {
    item_id: item.id,
    state: job.state,
    visit: job.visit,
    branch: row.branch,
    status: row.status,
    attempt: row.attempt,
    output: row.output ?? null,
    error: null,
    finished: false,
    ...change,
  };
}

/**
 * A branch finished: its output is recorded; if it was the last one running, the branches join in
 * the same transaction: their outputs go into the context under their names and the item moves on.
 */
export function planBranchResult(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'branch-result' }>,
  branches: readonly BranchRow[],
): Plan {
  const { job } = o;
  const row = currentBranch(item, job, branches);
  if (!row) return stalePlan(item);
  const state = parallelState(definition, job);
  const p = emptyPlan(item, 'committed');
  const output = o.output ?? null;
  p.branchUpdates.push(branchUpdate(item, job, row, { status: 'done', output, finished: true }));
  audit(p, SYSTEM, 'branch.completed', {
    state: job.state,
    visit: job.visit,
    branch: row.branch,
    attempt: job.attempt,
    outputHash: payloadHash(output),
  });
  const after = branches.map((b) => (b.branch === row.branch ? { ...b, status: 'done' as const, output } : b));
  if (after.every((b) => b.status === 'done')) {
    const outputs = Object.fromEntries(after.map((b) => [b.branch, b.output ?? null]));
    p.stateRuns.push(
      stateRun(item, env, job.state, job.visit, 'parallel', { branches: outputs }, state.next, 1, o.startedAt),
    );
    moveTo(p, item, definition, env, job.state, { branches: Object.keys(outputs) }, state.next, {
      extraContext: outputs,
    });
  }
  return p;
}

/**
 * A branch's work threw: another try after a back-off while tries remain; then the branch fails,
 * its running siblings are cancelled, and the state follows `onError` (or the item fails).
 */
export function planBranchError(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'branch-error' }>,
  branches: readonly BranchRow[],
): Plan {
  const { job, error } = o;
  const row = currentBranch(item, job, branches);
  if (!row) return stalePlan(item);
  const state = parallelState(definition, job);
  const name = row.branch;
  const policy = state.branches[name]?.retry;
  if (job.attempt < (policy?.maxAttempts ?? DEFAULT_RETRY.maxAttempts) && !o.permanent) {
    const p = emptyPlan(item, 'retrying');
    p.branchUpdates.push(branchUpdate(item, job, row, { attempt: job.attempt + 1 }));
    scheduleRetry(p, env, job, retryDelayMs(policy, job.attempt, env.random()), 'branch.retry_scheduled', {
      state: job.state,
      branch: name,
      error,
    });
    return p;
  }
  const p = emptyPlan(item, state.onError ? 'fallback' : 'failed');
  p.branchUpdates.push(branchUpdate(item, job, row, { status: 'failed', error, finished: true }));
  for (const sibling of branches)
    if (sibling.branch !== name && sibling.status === 'running')
      p.branchUpdates.push(branchUpdate(item, job, sibling, { status: 'cancelled', finished: true }));
  audit(p, SYSTEM, 'branch.failed', {
    state: job.state,
    branch: name,
    attempts: job.attempt,
    error,
    fallback: state.onError ?? null,
  });
  if (!state.onError) {
    failItem(p, item, env, job, { ...error, message: `branch "${name}" failed: ${error.message}` });
    return p;
  }
  const output = { error, failedBranch: name, failed: true };
  p.stateRuns.push(stateRun(item, env, job.state, job.visit, 'parallel', output, state.onError, 1, env.now));
  moveTo(p, item, definition, env, job.state, output, state.onError);
  return p;
}
