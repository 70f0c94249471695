import type { CalibrationSource, DecisionProvider } from '@signoff/ai';
import type { StateDefinition, WorkflowContext } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { PolicySource } from '@signoff/trust';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { FaultHook } from './faults';
import { isAtStep } from './plan-common';
import type { ItemSnapshot, Outcome, TransitionResult } from './plan-types';
import { idempotencyKeyOf, type ParsedStepJob, type StepJob, stepJob } from './queue';
import type { WorkflowRegistry } from './registry';
import { runState } from './state-work';
import { errorInfo, withTimeLimit } from './time-limit';
import { commitTransitions, SNAPSHOT_COLUMNS, type TransitionDeps, type TransitionRequest } from './transitions';
import { isPermanent } from './webhook';

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
  /** The policies and certificates in force for certified states (default: read, cached 2 s). */
  policies?: PolicySource;
  /** Told of the transitions committed (see `TransitionDeps.onCommitted`). */
  onCommitted?: TransitionDeps['onCommitted'];
}

export type StepResult = TransitionResult;

export type StepJobResult = { ok: true; result: StepResult } | { ok: false; error: unknown };

/**
 * Runs a fetched batch of step jobs: one read of their items, each job's work side by side outside
 * any transaction (an AI call must not hold row locks), then all their transitions through the one
 * transition path (`commitTransitions`: one transaction for the batch, multi-row writes). A job
 * for a state visit (or attempt) the item has already left is `stale` and runs nothing. Work that
 * throws becomes a `state-error` or `branch-error` outcome, planned by its retry policy; only
 * errors of our own (the database, a workflow version this process has not loaded) come back as
 * `{ ok: false }`, for pg-boss to retry the job.
 */
export async function executeJobs(deps: StepDeps, jobs: readonly ParsedStepJob[]): Promise<StepJobResult[]> {
  const results: StepJobResult[] = new Array(jobs.length);
  if (jobs.length === 0) return results;
  const ids = [...new Set(jobs.map((j) => j.itemId))];
  const items = new Map(
    (await deps.db.selectFrom('items').select(SNAPSHOT_COLUMNS).where('id', 'in', ids).execute()).map((i) => [
      i.id,
      i as ItemSnapshot,
    ]),
  );
  const branchRows = jobs.some((j) => j.branch !== undefined) ? await readBranches(deps.db, jobs) : new Map();
  const pending: { index: number; request: TransitionRequest }[] = [];
  await Promise.all(
    jobs.map(async (job, index) => {
      try {
        const outcome = await jobOutcome(deps, job, items.get(job.itemId), branchRows);
        if (outcome === 'stale') results[index] = { ok: true, result: 'stale' };
        else pending.push({ index, request: { itemId: job.itemId, outcome } });
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }),
  );
  pending.sort((a, b) => a.index - b.index);
  const committed = await commitTransitions(
    deps.db,
    deps,
    pending.map((p) => p.request),
    { known: items },
  );
  committed.forEach((c, k) => {
    const index = (pending[k] as { index: number }).index;
    results[index] = c.ok ? { ok: true, result: c.result } : { ok: false, error: c.error };
  });
  return results;
}

/**
 * Runs one job and commits its transition: `executeJobs` for a batch of one. Throws the errors
 * of our own that `executeJobs` returns.
 *
 * @example
 * await executeStep(deps, { itemId, state: 'classify', visit: 1 }); // 'committed'
 */
export async function executeStep(deps: StepDeps, input: StepJob): Promise<StepResult> {
  const [r] = await executeJobs(deps, [stepJob.parse(input)]);
  if (!r?.ok) throw r?.error;
  return r.result;
}

type BranchKey = string;
const branchKey = (j: { itemId: string; state: string; visit: number; branch?: string | undefined }): BranchKey =>
  `${j.itemId}\u0000${j.state}\u0000${j.visit}\u0000${j.branch ?? ''}`;

async function readBranches(db: Kysely<DB>, jobs: readonly ParsedStepJob[]) {
  const ids = [...new Set(jobs.filter((j) => j.branch !== undefined).map((j) => j.itemId))];
  const rows = await db
    .selectFrom('branch_runs')
    .select(['item_id', 'state', 'visit', 'branch', 'status', 'attempt'])
    .where('item_id', 'in', ids)
    .execute();
  return new Map(
    rows.map((r) => [branchKey({ itemId: r.item_id, state: r.state, visit: r.visit, branch: r.branch }), r]),
  );
}

/** A job's work, done outside any transaction, as the outcome to commit; `stale` when there is nothing to do. */
async function jobOutcome(
  deps: StepDeps,
  job: ParsedStepJob,
  item: ItemSnapshot | undefined,
  branches: ReadonlyMap<BranchKey, { status: string; attempt: number }>,
): Promise<Outcome | 'stale'> {
  if (!item || !isAtStep(item, job)) return 'stale';
  const wf = deps.registry.byVersionId(item.workflow_version_id);
  // Another worker process may have this version loaded; fail the job so it is retried there.
  if (!wf)
    throw new Error(
      `Workflow version ${item.workflow_version_id} of "${item.workflow_name}" is not loaded by this worker`,
    );
  const state = wf.definition.states[job.state] as StateDefinition<WorkflowContext> | undefined;
  if (!state) throw new Error(`State "${job.state}" does not exist in workflow "${item.workflow_name}" v${wf.version}`);
  const ctx: WorkflowContext = { ...item.context, input: item.input };
  const startedAt = new Date();
  if (job.branch !== undefined) {
    if (state.kind !== 'parallel') throw new Error(`State "${job.state}" has no branches`);
    const branch = state.branches[job.branch];
    if (!branch) throw new Error(`Branch "${job.branch}" does not exist in state "${job.state}"`);
    const row = branches.get(branchKey(job));
    if (row?.status !== 'running' || row.attempt !== job.attempt) return 'stale';
    let output: unknown;
    try {
      output = await withTimeLimit(branch.timeoutMs, `branch "${job.branch}" of "${job.state}"`, (signal) =>
        branch.run(ctx, { itemId: job.itemId, idempotencyKey: idempotencyKeyOf(job), attempt: job.attempt, signal }),
      );
    } catch (e) {
      return { kind: 'branch-error', job, error: errorInfo(e), permanent: isPermanent(e) };
    }
    await deps.faults?.('after-effect', { itemId: job.itemId, outcome: 'branch-result', job });
    return { kind: 'branch-result', job, output: output ?? null, startedAt };
  }
  if (job.kind !== 'run') {
    if (state.kind !== 'wait') throw new Error(`State "${job.state}" is not a wait`);
    return job.kind === 'timer' ? { kind: 'timer-fired', job } : { kind: 'deadline-passed', job };
  }
  let result: Awaited<ReturnType<typeof runState>>;
  try {
    result = await runState(deps, job, item, state, ctx);
  } catch (e) {
    return { kind: 'state-error', job, error: errorInfo(e), permanent: isPermanent(e), startedAt };
  }
  await deps.faults?.('after-effect', { itemId: job.itemId, outcome: 'state-result', job });
  return { kind: 'state-result', job, result, startedAt };
}
