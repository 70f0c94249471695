import {
  DEFAULT_RETRY,
  type ParallelState,
  retryDelayMs,
  type WorkflowContext,
  type WorkflowDefinition,
} from '@signoff/core';
import type { DB, Item } from '@signoff/db';
import { appendAudit, SYSTEM } from '@signoff/governance';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { FaultHook } from './faults';
import { idempotencyKeyOf, type ParsedStepJob } from './queue';
import { errorInfo, withTimeLimit } from './time-limit';
import { failItem, lockItemAt, moveItem, scheduleRetry } from './transition';
import { isPermanent } from './webhook';

export interface BranchDeps {
  db: Kysely<DB>;
  boss: PgBoss;
  faults?: FaultHook | undefined;
  random?: () => number;
}

async function lockBranch(trx: Transaction<DB>, job: ParsedStepJob) {
  return trx
    .selectFrom('branch_runs')
    .select(['status', 'attempt'])
    .where('item_id', '=', job.itemId)
    .where('state', '=', job.state)
    .where('visit', '=', job.visit)
    .where('branch', '=', job.branch as string)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Runs one branch of a parallel state and records its output. The branch that completes last joins:
 * in the same transaction the branch outputs go into the context under their names and the item
 * moves on. A branch that fails for good cancels its siblings and fails the state (`onError`, else
 * the item).
 */
export async function executeBranch(
  deps: BranchDeps,
  job: ParsedStepJob,
  item: Item,
  definition: WorkflowDefinition,
  state: ParallelState<WorkflowContext>,
): Promise<'committed' | 'stale' | 'retrying' | 'fallback' | 'failed'> {
  const name = job.branch as string;
  const branch = state.branches[name];
  if (!branch) throw new Error(`Branch "${name}" does not exist in state "${job.state}"`);
  const row = await deps.db
    .selectFrom('branch_runs')
    .select(['status', 'attempt'])
    .where('item_id', '=', job.itemId)
    .where('state', '=', job.state)
    .where('visit', '=', job.visit)
    .where('branch', '=', name)
    .executeTakeFirst();
  if (row?.status !== 'running' || row.attempt !== job.attempt) return 'stale';
  const ctx: WorkflowContext = { ...item.context, input: item.input };
  const startedAt = new Date();
  let output: unknown;
  try {
    output = await withTimeLimit(branch.timeoutMs, `branch "${name}" of "${job.state}"`, (signal) =>
      branch.run(ctx, { itemId: job.itemId, idempotencyKey: idempotencyKeyOf(job), attempt: job.attempt, signal }),
    );
  } catch (e) {
    return branchFailure(deps, job, definition, state, e);
  }
  await deps.faults?.('after-effect', job);
  return deps.db.transaction().execute(async (trx) => {
    const at = await lockItemAt(trx, job);
    const current = at ? await lockBranch(trx, job) : undefined;
    if (!at || current?.status !== 'running' || current.attempt !== job.attempt) return 'stale';
    await trx
      .updateTable('branch_runs')
      .set({ status: 'done', output: JSON.stringify(output ?? null), finished_at: sql`now()` })
      .where('item_id', '=', job.itemId)
      .where('state', '=', job.state)
      .where('visit', '=', job.visit)
      .where('branch', '=', name)
      .execute();
    await appendAudit(trx, {
      itemId: job.itemId,
      actor: SYSTEM,
      action: 'branch.completed',
      data: { state: job.state, visit: job.visit, branch: name, attempt: job.attempt, output: output ?? null },
    });
    const rows = await trx
      .selectFrom('branch_runs')
      .select(['branch', 'status', 'output'])
      .where('item_id', '=', job.itemId)
      .where('state', '=', job.state)
      .where('visit', '=', job.visit)
      .execute();
    if (rows.every((r) => r.status === 'done')) {
      const outputs = Object.fromEntries(rows.map((r) => [r.branch, r.output]));
      await recordParallelRun(trx, job, { branches: outputs }, state.next, startedAt);
      await moveItem(
        trx,
        deps.boss,
        definition,
        { id: job.itemId, visits: at.visits },
        job.state,
        { branches: Object.keys(outputs) },
        state.next,
        SYSTEM,
        outputs,
      );
    }
    await deps.faults?.('before-commit', job);
    return 'committed';
  });
}

/** The parallel state's own run, written when its branches join or one of them fails for good. */
async function recordParallelRun(
  trx: Transaction<DB>,
  job: ParsedStepJob,
  output: unknown,
  next: string,
  startedAt: Date,
) {
  await trx
    .insertInto('state_runs')
    .values({
      item_id: job.itemId,
      state: job.state,
      visit: job.visit,
      kind: 'parallel',
      status: 'done',
      output: JSON.stringify(output),
      next_state: next,
      started_at: startedAt,
    })
    .execute();
}

async function branchFailure(
  deps: BranchDeps,
  job: ParsedStepJob,
  definition: WorkflowDefinition,
  state: ParallelState<WorkflowContext>,
  error: unknown,
): Promise<'retrying' | 'fallback' | 'failed' | 'stale'> {
  const name = job.branch as string;
  const policy = state.branches[name]?.retry;
  const err = errorInfo(error);
  return deps.db.transaction().execute(async (trx) => {
    const at = await lockItemAt(trx, job);
    const current = at ? await lockBranch(trx, job) : undefined;
    if (!at || current?.status !== 'running' || current.attempt !== job.attempt) return 'stale';
    const where = (q: typeof trx) =>
      q
        .updateTable('branch_runs')
        .where('item_id', '=', job.itemId)
        .where('state', '=', job.state)
        .where('visit', '=', job.visit);
    if (job.attempt < (policy?.maxAttempts ?? DEFAULT_RETRY.maxAttempts) && !isPermanent(error)) {
      const delayMs = retryDelayMs(policy, job.attempt, (deps.random ?? Math.random)());
      await where(trx)
        .set({ attempt: job.attempt + 1 })
        .where('branch', '=', name)
        .execute();
      await scheduleRetry(trx, deps.boss, job, delayMs, {
        action: 'branch.retry_scheduled',
        data: { state: job.state, branch: name, error: err },
      });
      return 'retrying';
    }
    await where(trx)
      .set({ status: 'failed', error: JSON.stringify(err), finished_at: sql`now()` })
      .where('branch', '=', name)
      .execute();
    await where(trx).set({ status: 'cancelled', finished_at: sql`now()` }).where('status', '=', 'running').execute();
    await appendAudit(trx, {
      itemId: job.itemId,
      actor: SYSTEM,
      action: 'branch.failed',
      data: { state: job.state, branch: name, attempts: job.attempt, error: err, fallback: state.onError ?? null },
    });
    if (!state.onError) {
      await failItem(trx, job, { ...err, message: `branch "${name}" failed: ${err.message}` }, { locked: true });
      return 'failed';
    }
    const output = { error: err, failedBranch: name, failed: true };
    await recordParallelRun(trx, job, output, state.onError, new Date());
    await moveItem(
      trx,
      deps.boss,
      definition,
      { id: job.itemId, visits: at.visits },
      job.state,
      output,
      state.onError,
      SYSTEM,
    );
    return 'fallback';
  });
}
