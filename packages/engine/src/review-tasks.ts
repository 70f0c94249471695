import {
  AppError,
  leafFields,
  outputFields,
  parseStructuredLabel,
  type Role,
  roleHas,
  sameFieldValue,
  structuredLabel,
  type VerdictInput,
  valueAt,
  withValueAt,
} from '@signoff/core';
import type { DB, ReviewTask } from '@signoff/db';
import { maskPii } from '@signoff/governance';
import type { Transaction } from 'kysely';
import type { z } from 'zod';
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

/** What a verdict did: its review and label, and for a multi-reviewer point, what it is waiting for. */
export interface VerdictResult {
  reviewId: string;
  labelId: string | null;
  label: string;
  itemId: string;
  qa: boolean;
  /** Verdicts of other reviewers still needed before the item moves (multi-reviewer points). */
  awaitingVerdicts?: number;
  /** The verdicts disagreed: an adjudication task went to a lead. */
  adjudication?: boolean;
}

/**
 * Records a reviewer's verdict and resumes the workflow, all in the caller's transaction: the review,
 * the label (with provenance), the audit event, the state's output and the next job. A task can be
 * answered once; a second submit is refused with `CONFLICT`. An expired lease still lets its holder
 * answer while nobody else has taken the task over (the row lock is held, so nobody can now); the
 * audit event records that it had expired. At a multi-reviewer point the item waits for all N
 * verdicts (`awaitingVerdicts`), a second verdict by the same person is refused with `FORBIDDEN`,
 * and disagreeing verdicts create an adjudication task (`adjudication`), which only a lead (or an
 * admin) who gave none of the verdicts may answer.
 */
export async function submitVerdict(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  userId: string,
  v: VerdictInput,
): Promise<VerdictResult> {
  const task = await lockTask(trx, v.taskId);
  if (task.status === 'done') throw new AppError('CONFLICT', 'This task has already been reviewed; a verdict is final');
  if (task.status !== 'claimed') throw new AppError('CONFLICT', 'Claim this task before you submit a verdict');
  if (task.assignee_id !== userId) throw new AppError('FORBIDDEN', 'This task is claimed by another reviewer');
  if (task.kind === 'adjudication') await requireLead(trx, userId);
  const decision = task.decision_id
    ? await trx.selectFrom('decisions').selectAll().where('id', '=', task.decision_id).executeTakeFirstOrThrow()
    : undefined;
  const schema = await structuredSchema(trx, deps, task);
  const label = schema ? structuredVerdictLabel(task, decision, v, schema) : verdictLabel(task, decision, v);
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
  const submitted = r.plan.events.find((e) => e.action === 'review.submitted')?.data;
  const awaiting = submitted?.awaitingVerdicts;
  return {
    reviewId: (r.plan.reviews[0] as { id: string }).id,
    labelId: r.plan.labels[0]?.id ?? null,
    label,
    itemId: task.item_id,
    qa: task.kind === 'qa',
    ...(typeof awaiting === 'number' ? { awaitingVerdicts: awaiting } : {}),
    ...(r.plan.reviewTasks.some((t) => t.kind === 'adjudication') ? { adjudication: true } : {}),
  };
}

/** Adjudication is a lead's work: refused with `FORBIDDEN` for anyone without `task:lead`. */
async function requireLead(trx: Transaction<DB>, userId: string): Promise<void> {
  const user = await trx.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirst();
  if (!user || !roleHas(user.role as Role, 'task:lead'))
    throw new AppError('FORBIDDEN', 'Only a lead settles a disagreement between reviewers (an adjudication task)');
}

/**
 * The label a verdict gives, checked against the task: confirm needs an AI answer, correct a
 * different label. An adjudication always names its label (confirming one of the verdicts, which
 * the planner checks against them, or answering another).
 */
function verdictLabel(task: ReviewTask, decision: { label: string | null } | undefined, v: VerdictInput): string {
  if (task.kind === 'adjudication') {
    if (!v.label)
      throw new AppError('BAD_INPUT', 'Choose the final label: confirm one of the verdicts or answer with another', {
        issues: [{ path: 'label', message: 'Choose a label' }],
      });
    return checkedLabel(task, v.label);
  }
  if (v.verdict === 'confirm') {
    if (!decision?.label)
      throw new AppError('BAD_INPUT', 'There is no AI answer to confirm on this task; choose a label', {
        issues: [{ path: 'verdict', message: 'Use "answer" or "correct" with a label' }],
      });
    return decision.label;
  }
  const label = checkedLabel(task, v.label as string);
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
 * The output schema of a structured decision's task (a decide state with `output`), from the
 * item's workflow version; undefined for a classification, a review step or a stuck item.
 */
async function structuredSchema(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  task: ReviewTask,
): Promise<z.ZodObject | undefined> {
  // Classifications name their labels; only a structured decision's task has none.
  if (task.kind === 'stuck' || task.labels.length > 0) return undefined;
  const item = await trx
    .selectFrom('items')
    .select('workflow_version_id')
    .where('id', '=', task.item_id)
    .executeTakeFirstOrThrow();
  const state = deps.registry.byVersionId(item.workflow_version_id)?.definition.states[task.state];
  return state?.kind === 'decide' ? state.output : undefined;
}

/**
 * A verdict on a structured decision: the object the person gives (`value`), checked by the
 * state's schema (each problem named `value.<field>`), as its canonical JSON. Confirm takes the
 * AI's object; a correction must change at least one field; an adjudication names the object.
 */
function structuredVerdictLabel(
  task: ReviewTask,
  decision: { label: string | null } | undefined,
  v: VerdictInput,
  schema: z.ZodObject,
): string {
  if (v.verdict === 'confirm' && task.kind !== 'adjudication') {
    if (!decision?.label)
      throw new AppError('BAD_INPUT', 'There is no AI answer to confirm on this task; fill in the record', {
        issues: [{ path: 'verdict', message: 'Use "answer" or "correct" with a value' }],
      });
    return decision.label;
  }
  if (v.value === undefined)
    throw new AppError('BAD_INPUT', 'This decision is a structured record: send the corrected record as value', {
      issues: [{ path: 'value', message: 'Expected the corrected object' }],
    });
  const parsed = schema.safeParse(unmaskUnchanged(schema, decision?.label ?? null, v.value));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: ['value', ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    throw new AppError(
      'BAD_INPUT',
      `The corrected record is not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  const label = structuredLabel(parsed.data);
  if (v.verdict === 'correct' && decision?.label === label)
    throw new AppError('BAD_INPUT', 'A correction must change at least one field; use confirm to accept the record', {
      issues: [{ path: 'value', message: 'Every field is as the AI gave it' }],
    });
  return label;
}

/**
 * The console shows the AI's record with personal data masked (`[email]`), so a field the person
 * left alone comes back as its mask: such a field keeps the AI's value. A field they typed over
 * is theirs, even when it happens to read like a mask token.
 */
function unmaskUnchanged(
  schema: z.ZodObject,
  aiLabel: string | null,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const ai = parseStructuredLabel(aiLabel);
  if (!ai) return value;
  let out = value;
  for (const f of leafFields(outputFields(schema))) {
    const original = valueAt(ai, f.path);
    const given = valueAt(value, f.path);
    if (original === undefined || sameFieldValue(original, given)) continue;
    if (sameFieldValue(maskPii(original), given)) out = withValueAt(out, f.path, original);
  }
  return out;
}

function checkedLabel(task: ReviewTask, label: string): string {
  if (!task.labels.includes(label))
    throw new AppError('BAD_INPUT', `"${label}" is not one of this task's labels (${task.labels.join(', ')})`, {
      issues: [{ path: 'label', message: `Expected one of: ${task.labels.join(', ')}` }],
    });
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
