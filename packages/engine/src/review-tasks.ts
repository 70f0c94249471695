import { AppError, type VerdictInput } from '@signoff/core';
import type { DB, DecisionsTable, ReviewTask } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import type { Selectable } from 'kysely';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { enqueueStep } from './queue';
import type { WorkflowRegistry } from './registry';
import { failItem, moveItem } from './transition';

/** How long a claim holds before an unfinished task returns to the queue. */
export const LEASE_MINUTES = 15;

/**
 * Gives the reviewer their next task, atomically: `FOR UPDATE SKIP LOCKED` means two reviewers
 * claiming at once never get the same task. A task whose lease expired (its reviewer went home) is
 * claimable again. A reviewer who already holds an unexpired task gets that one back.
 *
 * @example
 * const task = await db.transaction().execute((trx) => claimNextTask(trx, user.id, 'support'));
 */
export async function claimNextTask(
  trx: Transaction<DB>,
  userId: string,
  queue?: string,
): Promise<ReviewTask | undefined> {
  const held = await trx
    .selectFrom('review_tasks')
    .selectAll()
    .where('assignee_id', '=', userId)
    .where('status', '=', 'claimed')
    .where('lease_expires_at', '>', new Date())
    .$if(queue !== undefined, (q) => q.where('queue', '=', queue as string))
    .orderBy('claimed_at')
    .limit(1)
    .executeTakeFirst();
  if (held) return held;
  const claimed = await sql<ReviewTask>`
    UPDATE review_tasks SET
      status = 'claimed', assignee_id = ${userId}, claimed_at = now(),
      lease_expires_at = now() + make_interval(mins => ${LEASE_MINUTES})
    WHERE id = (
      SELECT id FROM review_tasks
      WHERE (status = 'pending' OR (status = 'claimed' AND lease_expires_at < now()))
        AND (${queue ?? null}::text IS NULL OR queue = ${queue ?? null})
      ORDER BY priority DESC, created_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(trx);
  const task = claimed.rows[0];
  if (!task) return undefined;
  await appendAudit(trx, {
    itemId: task.item_id,
    actor: { type: 'user', id: userId },
    action: 'task.claimed',
    data: { taskId: task.id, queue: task.queue, leaseMinutes: LEASE_MINUTES },
  });
  return task;
}

/** Gives a claimed task back to its queue. */
export async function releaseTask(trx: Transaction<DB>, userId: string, taskId: string): Promise<void> {
  const task = await lockTask(trx, taskId);
  if (task.status !== 'claimed' || task.assignee_id !== userId)
    throw new AppError('CONFLICT', 'You do not hold this task, so you cannot release it');
  await trx
    .updateTable('review_tasks')
    .set({ status: 'pending', assignee_id: null, lease_expires_at: null, claimed_at: null })
    .where('id', '=', taskId)
    .execute();
  await appendAudit(trx, {
    itemId: task.item_id,
    actor: { type: 'user', id: userId },
    action: 'task.released',
    data: { taskId },
  });
}

async function lockTask(trx: Transaction<DB>, taskId: string): Promise<ReviewTask> {
  const task = await trx.selectFrom('review_tasks').selectAll().where('id', '=', taskId).forUpdate().executeTakeFirst();
  if (!task) throw new AppError('NOT_FOUND', `No review task ${taskId}`);
  return task;
}

/**
 * Records a reviewer's verdict and resumes the workflow, all in the caller's transaction: the review,
 * the label (with provenance), the audit event, the state's output and the next job. A task can be
 * answered once; a second submit is refused with `CONFLICT`.
 */
export async function submitVerdict(
  trx: Transaction<DB>,
  deps: { boss: PgBoss; registry: WorkflowRegistry },
  userId: string,
  v: VerdictInput,
): Promise<{ reviewId: string; labelId: string | null; label: string; itemId: string }> {
  const task = await lockTask(trx, v.taskId);
  if (task.status === 'done') throw new AppError('CONFLICT', 'This task has already been reviewed; a verdict is final');
  if (task.status !== 'claimed') throw new AppError('CONFLICT', 'Claim this task before you submit a verdict');
  const expired = task.lease_expires_at !== null && task.lease_expires_at < new Date();
  // An expired lease still lets its holder answer while nobody else has taken the task over
  // (we hold the row lock, so nobody can now); the audit event records that it had expired.
  if (task.assignee_id !== userId) throw new AppError('FORBIDDEN', 'This task is claimed by another reviewer');
  const decision = task.decision_id
    ? await trx.selectFrom('decisions').selectAll().where('id', '=', task.decision_id).executeTakeFirstOrThrow()
    : undefined;
  let label: string;
  if (v.verdict === 'confirm') {
    if (!decision?.label)
      throw new AppError('BAD_INPUT', 'There is no AI answer to confirm on this task; choose a label', {
        issues: [{ path: 'verdict', message: 'Use "answer" or "correct" with a label' }],
      });
    label = decision.label;
  } else {
    label = v.label as string;
    if (!task.labels.includes(label))
      throw new AppError('BAD_INPUT', `"${label}" is not one of this task's labels (${task.labels.join(', ')})`, {
        issues: [{ path: 'label', message: `Expected one of: ${task.labels.join(', ')}` }],
      });
    if (v.verdict === 'correct' && decision?.label && decision.label === label)
      throw new AppError(
        'BAD_INPUT',
        'A correction must choose a different label than the AI; use confirm to accept it',
        {
          issues: [{ path: 'label', message: `The AI already answered "${label}"` }],
        },
      );
  }
  if (task.kind === 'stuck') return resolveStuckItem(trx, deps, userId, task, label, v.reason?.trim() || null);
  if (task.kind === 'qa') return recordQaVerdict(trx, userId, task, decision, v, label);
  const item = await trx
    .selectFrom('items')
    .select(['id', 'status', 'current_state', 'visits', 'workflow_name', 'workflow_version_id'])
    .where('id', '=', task.item_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (item.status !== 'waiting' || item.current_state !== task.state)
    throw new AppError('CONFLICT', `Item is ${item.status} at "${item.current_state}", not waiting on this review`);
  const wf = deps.registry.byVersionId(item.workflow_version_id);
  const state = wf?.definition.states[task.state];
  if (!wf || !state || (state.kind !== 'decide' && state.kind !== 'review'))
    throw new AppError(
      'INTERNAL',
      `Workflow version of item ${item.id} is not loaded here, or "${task.state}" is not a review point`,
    );

  const actor: Actor = { type: 'user', id: userId };
  const reason = v.reason?.trim() || null;
  const { review, labelRow, isCorrection } = await recordVerdict(trx, userId, task, item, decision, v, label, reason);
  const output =
    state.kind === 'decide'
      ? { label, confidence: decision?.calibrated_confidence ?? 0, decidedBy: 'human', rationale: reason }
      : { label, note: reason, reviewedBy: userId };
  await trx
    .updateTable('state_runs')
    .set({ status: 'done', output: JSON.stringify(output), next_state: state.next, finished_at: sql`now()` })
    .where('item_id', '=', item.id)
    .where('state', '=', task.state)
    .where('visit', '=', task.visit)
    .execute();
  await appendAudit(trx, {
    itemId: item.id,
    actor,
    action: 'review.submitted',
    data: {
      taskId: task.id,
      reviewId: review.id,
      labelId: labelRow.id,
      verdict: v.verdict,
      aiLabel: decision?.label ?? null,
      humanLabel: label,
      override: isCorrection,
      reason,
      leaseExpired: expired,
    },
  });
  await moveItem(
    trx,
    deps.boss,
    wf.definition,
    { id: item.id, visits: item.visits },
    task.state,
    output,
    state.next,
    actor,
  );
  return { reviewId: review.id, labelId: labelRow.id, label, itemId: item.id };
}

/**
 * The operator's answer to a stuck item (see `escalateOverdue`): `retry` runs its current state
 * again as a new attempt (any lost or hung job of the old attempt becomes stale); `fail` ends it.
 */
async function resolveStuckItem(
  trx: Transaction<DB>,
  deps: { boss: PgBoss },
  userId: string,
  task: ReviewTask,
  label: string,
  reason: string | null,
): Promise<{ reviewId: string; labelId: null; label: string; itemId: string }> {
  const item = await trx
    .selectFrom('items')
    .select(['status', 'current_state', 'visits', 'attempt'])
    .where('id', '=', task.item_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const actor: Actor = { type: 'user', id: userId };
  const review = await trx
    .insertInto('reviews')
    .values({ task_id: task.id, reviewer_id: userId, verdict: 'answer', label, reason })
    .returning('id')
    .executeTakeFirstOrThrow();
  await completeTask(trx, task.id);
  await appendAudit(trx, {
    itemId: task.item_id,
    actor,
    action: 'review.submitted',
    data: { taskId: task.id, reviewId: review.id, verdict: 'answer', humanLabel: label, reason, kind: 'stuck' },
  });
  const stillStuck =
    item.status === 'running' && item.current_state === task.state && (item.visits[task.state] ?? 0) === task.visit;
  if (stillStuck) {
    const job = { itemId: task.item_id, state: task.state, visit: task.visit, attempt: item.attempt + 1 };
    if (label === 'retry') {
      await trx
        .updateTable('items')
        .set({ attempt: item.attempt + 1, updated_at: sql`now()` })
        .where('id', '=', task.item_id)
        .execute();
      await appendAudit(trx, {
        itemId: task.item_id,
        actor,
        action: 'state.retry_scheduled',
        data: { state: task.state, visit: task.visit, attempt: item.attempt, nextAttempt: job.attempt, manual: true },
      });
      await enqueueStep(trx, deps.boss, job);
    } else {
      await failItem(
        trx,
        job,
        { message: `Failed by an operator: ${reason ?? 'stuck'}`, reason },
        { locked: true, actor },
      );
    }
  }
  return { reviewId: review.id, labelId: null, label, itemId: task.item_id };
}

/**
 * A QA review of a sampled, auto-accepted decision: the verdict becomes a label (with provenance,
 * a correction if the person disagrees) and is audited, but the item, which went on, is not moved.
 */
async function recordQaVerdict(
  trx: Transaction<DB>,
  userId: string,
  task: ReviewTask,
  decision: Selectable<DecisionsTable> | undefined,
  v: VerdictInput,
  label: string,
): Promise<{ reviewId: string; labelId: string; label: string; itemId: string }> {
  const item = await trx
    .selectFrom('items')
    .select(['workflow_name', 'workflow_version_id'])
    .where('id', '=', task.item_id)
    .executeTakeFirstOrThrow();
  const reason = v.reason?.trim() || null;
  const { review, labelRow, isCorrection } = await recordVerdict(trx, userId, task, item, decision, v, label, reason);
  await appendAudit(trx, {
    itemId: task.item_id,
    actor: { type: 'user', id: userId },
    action: 'review.submitted',
    data: {
      taskId: task.id,
      reviewId: review.id,
      labelId: labelRow.id,
      verdict: v.verdict,
      aiLabel: decision?.label ?? null,
      humanLabel: label,
      override: isCorrection,
      reason,
      qa: true,
    },
  });
  return { reviewId: review.id, labelId: labelRow.id, label, itemId: task.item_id };
}

/**
 * The rows every verdict on an AI decision writes: the review, the label with its provenance (a
 * correction when the person disagrees with the AI), and the task marked done.
 */
async function recordVerdict(
  trx: Transaction<DB>,
  userId: string,
  task: ReviewTask,
  item: { workflow_name: string; workflow_version_id: string },
  decision: Selectable<DecisionsTable> | undefined,
  v: VerdictInput,
  label: string,
  reason: string | null,
) {
  const review = await trx
    .insertInto('reviews')
    .values({ task_id: task.id, reviewer_id: userId, verdict: v.verdict, label, reason })
    .returning('id')
    .executeTakeFirstOrThrow();
  const isCorrection = decision?.label != null && decision.label !== label;
  const labelRow = await trx
    .insertInto('labels')
    .values({
      item_id: task.item_id,
      state: task.state,
      decision_id: decision?.id ?? null,
      review_id: review.id,
      workflow_name: item.workflow_name,
      workflow_version_id: item.workflow_version_id,
      agent: decision?.agent ?? null,
      model: decision?.model ?? null,
      model_version: decision?.model_version ?? null,
      prompt_version: decision?.prompt_version ?? null,
      input_text: decision?.input_text ?? null,
      ai_label: decision?.label ?? null,
      ai_confidence: decision ? decision.confidence : null,
      human_label: label,
      is_correction: isCorrection,
      reason,
      reviewer_id: userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await completeTask(trx, task.id);
  return { review, labelRow, isCorrection };
}

async function completeTask(trx: Transaction<DB>, taskId: string): Promise<void> {
  await trx
    .updateTable('review_tasks')
    .set({ status: 'done', completed_at: sql`now()`, lease_expires_at: null })
    .where('id', '=', taskId)
    .execute();
}

/** Open work per queue: what a reviewer sees before claiming. */
export async function queueSummary(db: Kysely<DB>) {
  return db
    .selectFrom('review_tasks')
    .select((eb) => [
      'queue',
      eb.fn.countAll<number>().filterWhere('status', '=', 'pending').as('pending'),
      eb.fn.countAll<number>().filterWhere('status', '=', 'claimed').as('claimed'),
      eb.fn.min('created_at').as('oldest'),
      eb.fn.countAll<number>().filterWhere('due_at', '<', new Date()).as('overdue'),
    ])
    .where('status', '<>', 'done')
    .groupBy('queue')
    .orderBy('queue')
    .execute();
}
