import { AppError, type VerdictInput } from '@signoff/core';
import type { DB, ReviewTask } from '@signoff/db';
import type { Transaction } from 'kysely';
import type { Outcome } from './plan-types';
import { applyTransitions, type TransitionDeps } from './transitions';

/** The task, locked for the caller's transaction; `NOT_FOUND` when there is none. */
export async function lockTask(trx: Transaction<DB>, taskId: string): Promise<ReviewTask> {
  const task = await trx.selectFrom('review_tasks').selectAll().where('id', '=', taskId).forUpdate().executeTakeFirst();
  if (!task) throw new AppError('NOT_FOUND', `No review task ${taskId}`);
  return task;
}

/** One transition through the one path, in the caller's transaction; its error is thrown. */
export async function transition(trx: Transaction<DB>, deps: TransitionDeps, itemId: string, outcome: Outcome) {
  const [r] = await applyTransitions(trx, deps, [{ itemId, outcome }]);
  if (!r?.ok) throw r?.error;
  return r;
}

/**
 * Records a reviewer's verdict and resumes the workflow, all in the caller's transaction: the review,
 * the label (with provenance), the audit event, the state's output and the next job. A task can be
 * answered once; a second submit is refused with `CONFLICT`. An expired lease still lets its holder
 * answer while nobody else has taken the task over (the row lock is held, so nobody can now); the
 * audit event records that it had expired.
 */
export async function submitVerdict(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  userId: string,
  v: VerdictInput,
): Promise<{ reviewId: string; labelId: string | null; label: string; itemId: string; qa: boolean }> {
  const task = await lockTask(trx, v.taskId);
  if (task.status === 'done') throw new AppError('CONFLICT', 'This task has already been reviewed; a verdict is final');
  if (task.status !== 'claimed') throw new AppError('CONFLICT', 'Claim this task before you submit a verdict');
  if (task.assignee_id !== userId) throw new AppError('FORBIDDEN', 'This task is claimed by another reviewer');
  const decision = task.decision_id
    ? await trx.selectFrom('decisions').selectAll().where('id', '=', task.decision_id).executeTakeFirstOrThrow()
    : undefined;
  const label = verdictLabel(task, decision, v);
  const reason = v.reason?.trim() || null;
  const base = { task, userId, reason };
  const r =
    task.kind === 'stuck'
      ? await transition(trx, deps, task.item_id, {
          kind: 'operator',
          ...base,
          action: label === 'retry' ? 'retry' : 'fail',
        })
      : await transition(trx, deps, task.item_id, {
          kind: task.kind === 'qa' ? 'qa-verdict' : 'verdict',
          ...base,
          decision,
          verdict: v.verdict,
          label,
        });
  return {
    reviewId: (r.plan.reviews[0] as { id: string }).id,
    labelId: r.plan.labels[0]?.id ?? null,
    label,
    itemId: task.item_id,
    qa: task.kind === 'qa',
  };
}

/** The label a verdict gives, checked against the task: confirm needs an AI answer, correct a different label. */
function verdictLabel(task: ReviewTask, decision: { label: string | null } | undefined, v: VerdictInput): string {
  if (v.verdict === 'confirm') {
    if (!decision?.label)
      throw new AppError('BAD_INPUT', 'There is no AI answer to confirm on this task; choose a label', {
        issues: [{ path: 'verdict', message: 'Use "answer" or "correct" with a label' }],
      });
    return decision.label;
  }
  const label = v.label as string;
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
  return label;
}

/**
 * Settles a decision's label by adjudication, through the transition path: the label (marked
 * adjudicated, outranking single verdicts) and its audit event on the item's trail.
 *
 * @example
 * await db.transaction().execute((trx) =>
 *   adjudicateDecision(trx, deps, user.id, { decisionId, label: 'refund', reason: 'the ticket asks for money back' }));
 */
export async function adjudicateDecision(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  userId: string,
  input: { decisionId: string; label: string; reason: string },
): Promise<{ labelId: string; itemId: string }> {
  const decision = await trx.selectFrom('decisions').selectAll().where('id', '=', input.decisionId).executeTakeFirst();
  if (!decision) throw new AppError('NOT_FOUND', `No decision ${input.decisionId}`);
  const r = await transition(trx, deps, decision.item_id, {
    kind: 'adjudication',
    decision,
    label: input.label,
    reason: input.reason.trim(),
    userId,
  });
  return { labelId: (r.plan.labels[0] as { id: string }).id, itemId: decision.item_id };
}
