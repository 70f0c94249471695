import { DEFAULT_RETRY, type RetryPolicy, retryDelayMs, type WorkflowDefinition } from '@signoff/core';
import type { DB } from '@signoff/db';
import { appendAudit, SYSTEM } from '@signoff/governance';
import { type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { ParsedStepJob } from './queue';
import { errorInfo } from './time-limit';
import { commitStep, failItem, lockItemAt, scheduleRetry } from './transition';
import { isPermanent } from './webhook';

export type FailureResult = 'retrying' | 'fallback' | 'failed' | 'stale';

/**
 * What happens when a state's work throws: another try after an exponential, jittered back-off
 * while tries remain (audited, durable: the next try is a delayed job), then the `onError` path
 * with the error in the context, else the item fails with the error. Each step is one transaction.
 */
export async function handleStateFailure(
  deps: { db: Kysely<DB>; boss: PgBoss; random?: () => number },
  job: ParsedStepJob,
  definition: WorkflowDefinition,
  policy: { retry?: RetryPolicy | undefined; onError?: string | undefined },
  error: unknown,
  startedAt: Date,
): Promise<FailureResult> {
  const err = errorInfo(error);
  const maxAttempts = policy.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  if (job.attempt < maxAttempts && !isPermanent(error)) {
    const delayMs = retryDelayMs(policy.retry, job.attempt, (deps.random ?? Math.random)());
    return deps.db.transaction().execute(async (trx) => {
      if (!(await lockItemAt(trx, job))) return 'stale';
      await trx
        .updateTable('items')
        .set({ attempt: job.attempt + 1, updated_at: sql`now()` })
        .where('id', '=', job.itemId)
        .execute();
      await scheduleRetry(trx, deps.boss, job, delayMs, {
        action: 'state.retry_scheduled',
        data: { state: job.state, visit: job.visit, error: err },
      });
      return 'retrying';
    });
  }
  return deps.db.transaction().execute(async (trx) => {
    if (policy.onError) {
      const output = { error: err, attempts: job.attempt, failed: true };
      const r = await commitStep(
        trx,
        deps.boss,
        { job, definition, startedAt },
        { kind: 'advance', output, next: policy.onError },
      );
      if (r === 'stale') return 'stale';
      await appendAudit(trx, {
        itemId: job.itemId,
        actor: SYSTEM,
        action: 'state.failed',
        data: { state: job.state, visit: job.visit, attempts: job.attempt, error: err, fallback: policy.onError },
      });
      return 'fallback';
    }
    return (await failItem(trx, job, {
      ...err,
      message: `${err.message} (after ${job.attempt} attempt${job.attempt === 1 ? '' : 's'})`,
    }))
      ? 'failed'
      : 'stale';
  });
}
