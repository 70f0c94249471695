// Plans for human work: verdicts (the item resumes), QA verdicts (a label only), an operator's
// answer to a stuck item, claims, releases and skips, escalation (overdue or by hand), stuck items.
import {
  AppError,
  type FieldChange,
  fieldChanges,
  outputFields,
  parseStructuredLabel,
  type WorkflowDefinition,
} from '@signoff/core';
import type { ReviewTask } from '@signoff/db';
import type { Actor } from '@signoff/governance';
import { maskPiiText, SYSTEM, textHash } from '@signoff/governance';
import { audit, currentPosition, emptyPlan, failItem, moveTo, stateOf } from './plan-common';
import type {
  ItemSnapshot,
  LabelInsert,
  Outcome,
  Plan,
  PlanEnv,
  PointVerdict,
  ReviewInsert,
  ReviewTaskInsert,
  ReviewTaskUpdate,
} from './plan-types';

type Verdict = Extract<Outcome, { kind: 'verdict' | 'qa-verdict' }>;

/** The task's mutable columns as they are, to be changed by a plan. */
function taskAsIs(task: ReviewTask): ReviewTaskUpdate {
  return {
    id: task.id,
    status: task.status,
    queue: task.queue,
    priority: task.priority,
    assignee_id: task.assignee_id,
    claimed_at: task.claimed_at,
    lease_expires_at: task.lease_expires_at,
    completed_at: null,
    escalated_at: task.escalated_at,
  };
}

function completeTask(p: Plan, env: PlanEnv, task: ReviewTask): void {
  p.taskUpdates.push({ ...taskAsIs(task), status: 'done', lease_expires_at: null, completed_at: env.now });
}

/**
 * The rows every verdict writes: the review, the label with its provenance (a correction when the
 * person disagrees with the AI; `final` when it is its review point's answer, `adjudicated` when a
 * lead settled disagreeing verdicts with it), and the task marked done.
 */
function recordVerdict(
  p: Plan,
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Verdict,
  mark: { final: boolean; adjudicated: boolean } = { final: true, adjudicated: false },
) {
  const { task, decision } = o;
  const changes = structuredChanges(definition, task.state, decision?.label ?? null, o.label);
  const review: ReviewInsert = {
    id: env.newId(),
    task_id: task.id,
    reviewer_id: o.userId,
    verdict: o.verdict,
    label: o.label,
    reason: o.reason,
  };
  const isCorrection = decision?.label != null && decision.label !== o.label;
  const label: LabelInsert = {
    id: env.newId(),
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
    human_label: o.label,
    is_correction: isCorrection,
    reason: o.reason,
    reviewer_id: o.userId,
    adjudicated: mark.adjudicated,
    final: mark.final,
    ...(changes ? fieldColumns(changes) : {}),
  };
  p.reviews.push(review);
  p.labels.push(label);
  completeTask(p, env, task);
  return {
    taskId: task.id,
    reviewId: review.id,
    labelId: label.id,
    verdict: o.verdict,
    ...labelsForAudit(decision?.label ?? null, o.label, changes, 'humanLabel'),
    override: isCorrection,
    // The reviewer's free text stays in the review and the label; the event keeps its digest.
    reasonHash: textHash(o.reason),
    // Multi-reviewer points say which of the N independent reviews this was.
    ...(task.reviewers_required > 1 ? { slot: task.slot, reviewersRequired: task.reviewers_required } : {}),
  };
}

/**
 * A structured decision's field-level diff: the leaf fields whose value the person's object
 * (`humanLabel`, canonical JSON) changed from the AI's. Undefined for a classification (or a
 * structured decision the AI could not answer: every field is then the human's, all "changed").
 */
export function structuredChanges(
  definition: WorkflowDefinition,
  state: string,
  aiLabel: string | null,
  humanLabel: string,
): FieldChange[] | undefined {
  const def = definition.states[state];
  if (def?.kind !== 'decide' || !def.output) return undefined;
  return fieldChanges(outputFields(def.output), parseStructuredLabel(aiLabel) ?? {}, parseStructuredLabel(humanLabel));
}

/**
 * The labels an audit event names. A structured answer's label is a record (a tax id, an address):
 * the event keeps its digest (`textHash` of the canonical JSON, which the label row holds) and the
 * fields the person changed, not the values.
 */
function labelsForAudit(
  aiLabel: string | null,
  humanLabel: string,
  changes: FieldChange[] | undefined,
  humanKey: 'label' | 'humanLabel' = 'label',
): Record<string, unknown> {
  if (!changes) return { aiLabel, [humanKey]: humanLabel };
  return {
    aiLabelHash: textHash(aiLabel),
    [`${humanKey}Hash`]: textHash(humanLabel),
    changedFields: changes.map((c) => c.field),
  };
}

/** The label column of a field-level diff (migration 0030; the writer derives `changed_fields`). */
export function fieldColumns(changes: FieldChange[]): { field_changes: FieldChange[] } {
  return { field_changes: changes };
}

/**
 * A reviewer's verdict on a decision or a review step (or a lead's on an adjudication task). With
 * one reviewer: the review, the label, the state's output, and the item moves on. With N
 * (four-eyes): each verdict is recorded as it comes, blind, and the item waits until all N are in;
 * if they agree, it moves on with their label; if not, one adjudication task goes to a lead, whose
 * answer is final and moves it on. `given` are the verdicts already given at the review point,
 * read under the item's lock. Refused with `CONFLICT` when the item is no longer waiting on this
 * task, and with `FORBIDDEN` when this person already gave a verdict at this review point.
 */
export function planVerdict(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'verdict' }>,
  given: readonly PointVerdict[] = [],
): Plan {
  const { task } = o;
  if (item.status !== 'waiting' || item.current_state !== task.state || (item.visits[task.state] ?? 0) !== task.visit)
    throw new AppError('CONFLICT', `Item is ${item.status} at "${item.current_state}", not waiting on this review`);
  const state = stateOf(definition, task.state);
  if (state.kind !== 'decide' && state.kind !== 'review')
    throw new AppError('INTERNAL', `"${task.state}" of item ${item.id} is not a review point`);
  const others = given.filter((v) => v.taskId !== task.id);
  // Separation of duties: N verdicts from N people, and the lead settling them is none of them.
  if (others.some((v) => v.reviewerId === o.userId))
    throw new AppError(
      'FORBIDDEN',
      task.kind === 'adjudication'
        ? `You gave one of the verdicts on this item at "${task.state}", so you cannot settle their disagreement; another lead must adjudicate`
        : `You already gave a verdict on this item at "${task.state}": its ${task.reviewers_required} reviews must come from different people. Release this task so someone else can take it`,
    );
  const actor: Actor = { type: 'user', id: o.userId };
  const p = emptyPlan(item, 'committed');
  const leaseExpired = task.lease_expires_at !== null && task.lease_expires_at < env.now;
  const slots = others.filter((v) => v.kind !== 'adjudication');
  if (task.kind === 'adjudication') {
    const labels = [...new Set(slots.map((v) => v.label))];
    if (o.verdict === 'confirm' && !labels.includes(o.label))
      throw new AppError(
        'BAD_INPUT',
        `"${o.label}" is none of the verdicts given (${labels.join(', ')}); confirm one of them or answer with another label`,
        { issues: [{ path: 'label', message: `Expected one of: ${labels.join(', ')}` }] },
      );
    const data = recordVerdict(p, item, definition, env, o, { final: true, adjudicated: true });
    audit(p, actor, 'review.submitted', { ...data, leaseExpired, adjudication: true });
    audit(p, actor, 'review.adjudicated', {
      state: task.state,
      visit: task.visit,
      taskId: task.id,
      label: o.label,
      verdicts: slots.map(verdictSummary),
      reasonHash: textHash(o.reason),
    });
    resume(p, item, definition, env, o, state, actor, { reviewers: slots.length, adjudicated: true });
    return p;
  }
  const required = task.reviewers_required;
  const verdicts = [
    ...slots,
    { taskId: task.id, kind: task.kind, slot: task.slot, reviewerId: o.userId, label: o.label },
  ];
  if (verdicts.length < required) {
    // Blind: nothing moves and nobody is told what the others answered; the item waits for the rest.
    const data = recordVerdict(p, item, definition, env, o, { final: false, adjudicated: false });
    audit(p, actor, 'review.submitted', { ...data, leaseExpired, awaitingVerdicts: required - verdicts.length });
    return p;
  }
  const agreed = verdicts.every((v) => v.label === o.label);
  const data = recordVerdict(p, item, definition, env, o, { final: agreed, adjudicated: false });
  audit(p, actor, 'review.submitted', { ...data, leaseExpired });
  if (required === 1) {
    resume(p, item, definition, env, o, state, actor);
    return p;
  }
  if (agreed) {
    audit(p, SYSTEM, 'review.agreed', {
      state: task.state,
      visit: task.visit,
      label: o.label,
      verdicts: verdicts.map(verdictSummary),
    });
    resume(p, item, definition, env, o, state, actor, { reviewers: required });
    return p;
  }
  const adjudicationQueue =
    (state.kind === 'decide' ? state.policy.adjudicationQueue : state.adjudicationQueue) ?? task.queue;
  const counts = new Map<string, number>();
  for (const v of verdicts) counts.set(v.label, (counts.get(v.label) ?? 0) + 1);
  const split = [...counts].map(([label, n]) => `${n} said "${label}"`).join(', ');
  const dueInMinutes = state.kind === 'decide' ? state.policy.dueInMinutes : state.dueInMinutes;
  const adjudication: ReviewTaskInsert = {
    id: env.newId(),
    item_id: item.id,
    state: task.state,
    visit: task.visit,
    decision_id: task.decision_id,
    kind: 'adjudication',
    queue: adjudicationQueue,
    labels: task.labels,
    reasons: [
      {
        code: 'reviewers_disagree',
        message: `The ${required} independent reviewers disagree: ${split}. Your answer is final.`,
      },
    ],
    instructions: `Settle the disagreement: read the ${required} verdicts and give the final label. ${task.instructions}`,
    summary: task.summary ?? null,
    due_at: dueInMinutes ? new Date(env.now.getTime() + dueInMinutes * 60_000) : null,
    escalate_to: task.escalate_to,
    // The item waits on this one answer: it goes before fresh work in the lead's queue.
    priority: task.priority + ADJUDICATION_PRIORITY,
    slot: 1,
    reviewers_required: 1,
  };
  p.reviewTasks.push(adjudication);
  audit(p, SYSTEM, 'review.disagreement', {
    state: task.state,
    visit: task.visit,
    verdicts: verdicts.map(verdictSummary),
    adjudicationTaskId: adjudication.id,
    queue: adjudicationQueue,
  });
  return p;
}

/** How much an adjudication task outranks the review point's own tasks in its queue. */
export const ADJUDICATION_PRIORITY = 5;

function verdictSummary(v: { slot: number; reviewerId: string; label: string }) {
  return { slot: v.slot, reviewerId: v.reviewerId, label: v.label };
}

/** The review point answered: the state's output, its run closed, and the item moves on. */
function resume(
  p: Plan,
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'verdict' }>,
  state: { kind: 'decide' | 'review'; next: string },
  actor: Actor,
  multi?: { reviewers: number; adjudicated?: boolean },
): void {
  const { task } = o;
  const extra = multi ? { reviewers: multi.reviewers, ...(multi.adjudicated ? { adjudicated: true } : {}) } : {};
  // A structured decision resumes with the person's object (the corrected record) and what they changed.
  const changes = structuredChanges(definition, task.state, o.decision?.label ?? null, o.label);
  const structured = changes
    ? {
        value: parseStructuredLabel(o.label),
        changedFields: changes.map((c) => c.field),
        fields: (o.decision?.output as { fields?: unknown } | undefined)?.fields ?? {},
      }
    : {};
  const output =
    state.kind === 'decide'
      ? {
          label: o.label,
          confidence: o.decision?.calibrated_confidence ?? 0,
          decidedBy: 'human',
          rationale: o.reason,
          ...structured,
          ...extra,
        }
      : { label: o.label, note: o.reason, reviewedBy: o.userId, ...extra };
  p.stateRunCloses.push({ item_id: item.id, state: task.state, visit: task.visit, output, next_state: state.next });
  moveTo(p, item, definition, env, task.state, output, state.next, { actor });
}

/** A QA review of a sampled, auto-accepted decision: a label and its audit event; the item stays. */
export function planQaVerdict(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'qa-verdict' }>,
): Plan {
  const p = emptyPlan(item, 'committed');
  const data = recordVerdict(p, item, definition, env, o);
  audit(p, { type: 'user', id: o.userId }, 'review.submitted', { ...data, qa: true });
  return p;
}

/**
 * The operator's answer to a stuck item: `retry` runs its current state again as a new attempt
 * (any lost or hung job of the old attempt becomes stale); `fail` ends it. If the item moved on
 * meanwhile, only the answer is recorded.
 */
export function planOperatorAction(item: ItemSnapshot, env: PlanEnv, o: Extract<Outcome, { kind: 'operator' }>): Plan {
  const { task } = o;
  const actor: Actor = { type: 'user', id: o.userId };
  const p = emptyPlan(item, 'committed');
  const review: ReviewInsert = {
    id: env.newId(),
    task_id: task.id,
    reviewer_id: o.userId,
    verdict: 'answer',
    label: o.action,
    reason: o.reason,
  };
  p.reviews.push(review);
  completeTask(p, env, task);
  audit(p, actor, 'review.submitted', {
    taskId: task.id,
    reviewId: review.id,
    verdict: 'answer',
    humanLabel: o.action,
    reasonHash: textHash(o.reason),
    kind: 'stuck',
  });
  const stillStuck =
    item.status === 'running' && item.current_state === task.state && (item.visits[task.state] ?? 0) === task.visit;
  if (!stillStuck) return p;
  const at = { state: task.state, visit: task.visit };
  if (o.action === 'retry') {
    const attempt = item.attempt + 1;
    p.item = { ...currentPosition(item), attempt };
    audit(p, actor, 'state.retry_scheduled', {
      state: task.state,
      visit: task.visit,
      attempt: item.attempt,
      nextAttempt: attempt,
      manual: true,
    });
    p.jobs.push({ data: { itemId: item.id, state: task.state, visit: task.visit, attempt } });
  } else {
    failItem(
      p,
      item,
      env,
      at,
      { message: `Failed by an operator: ${o.reason ?? 'stuck'}`, reason: o.reason },
      actor,
      'Failed by an operator',
    );
  }
  return p;
}

/**
 * A claim: the task is the user's until its lease expires (heartbeats extend it). Taking over a
 * task whose lease expired names the reviewer who had it.
 */
export function planTaskClaimed(item: ItemSnapshot, env: PlanEnv, o: Extract<Outcome, { kind: 'task-claimed' }>): Plan {
  const p = emptyPlan(item, 'committed');
  p.taskUpdates.push({
    ...taskAsIs(o.task),
    status: 'claimed',
    assignee_id: o.userId,
    claimed_at: env.now,
    lease_expires_at: new Date(env.now.getTime() + o.leaseMinutes * 60_000),
  });
  const takenOver = o.task.status === 'claimed' && o.task.assignee_id !== null && o.task.assignee_id !== o.userId;
  audit(p, { type: 'user', id: o.userId }, 'task.claimed', {
    taskId: o.task.id,
    queue: o.task.queue,
    leaseMinutes: o.leaseMinutes,
    ...(takenOver ? { leaseExpiredFrom: o.task.assignee_id } : {}),
  });
  return p;
}

/** The task back to its queue, unclaimed. */
function unclaimed(task: ReviewTask): ReviewTaskUpdate {
  return { ...taskAsIs(task), status: 'pending', assignee_id: null, lease_expires_at: null, claimed_at: null };
}

export function planTaskReleased(item: ItemSnapshot, o: Extract<Outcome, { kind: 'task-released' }>): Plan {
  const p = emptyPlan(item, 'committed');
  p.taskUpdates.push(unclaimed(o.task));
  audit(p, { type: 'user', id: o.userId }, 'task.released', { taskId: o.task.id });
  return p;
}

/**
 * A lead hands an open task (pending or claimed) to a named person: they hold it with a fresh lease,
 * whoever held it before loses it. Who may take it is checked by `reassignTask`, against the rows.
 */
export function planTaskReassigned(
  item: ItemSnapshot,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'task-reassigned' }>,
): Plan {
  const { task } = o;
  if (task.status === 'done') throw new AppError('CONFLICT', 'This task has already been reviewed; it cannot move');
  const p = emptyPlan(item, 'committed');
  p.taskUpdates.push({
    ...taskAsIs(task),
    status: 'claimed',
    assignee_id: o.userId,
    claimed_at: env.now,
    lease_expires_at: new Date(env.now.getTime() + o.leaseMinutes * 60_000),
  });
  audit(p, { type: 'user', id: o.byUserId }, 'task.reassigned', {
    taskId: task.id,
    queue: task.queue,
    status: task.status,
    from: task.assignee_id,
    to: o.userId,
    by: o.byUserId,
    leaseMinutes: o.leaseMinutes,
  });
  return p;
}

/** A skip: like a release, and the caller records it in `task_skips` so it is not offered straight back. */
export function planTaskSkipped(item: ItemSnapshot, o: Extract<Outcome, { kind: 'task-skipped' }>): Plan {
  const p = emptyPlan(item, 'committed');
  p.taskUpdates.push(unclaimed(o.task));
  audit(p, { type: 'user', id: o.userId }, 'task.skipped', { taskId: o.task.id, queue: o.task.queue });
  return p;
}

/**
 * A task moves to its escalation queue, back to pending, with a higher priority: overdue (the
 * sweeper, acting as the system), or handed up by its reviewer (acting as themselves, with a reason).
 */
export function planTaskEscalated(
  item: ItemSnapshot,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'task-escalated' }>,
): Plan {
  const { task } = o;
  const p = emptyPlan(item, 'committed');
  p.taskUpdates.push({
    ...unclaimed(task),
    queue: task.escalate_to,
    priority: task.priority + 10,
    escalated_at: env.now,
  });
  const actor: Actor = o.userId ? { type: 'user', id: o.userId } : SYSTEM;
  audit(p, actor, 'task.escalated', {
    taskId: task.id,
    from: task.queue,
    to: task.escalate_to,
    dueAt: task.due_at ? new Date(task.due_at).toISOString() : null,
    unclaimedFrom: task.assignee_id,
    // No table holds a hand-up's reason: the event is its only record (docs/retention.md). The
    // audit log is never purged, so it keeps the reason with its PII masked (docs/pii.md).
    ...(o.userId ? { reason: o.reason == null ? null : maskPiiText(o.reason) } : {}),
  });
  return p;
}

/** An item running without progress gets a `stuck` task, where an operator retries or fails it. */
export function planItemStuck(item: ItemSnapshot, env: PlanEnv, o: Extract<Outcome, { kind: 'item-stuck' }>): Plan {
  const p = emptyPlan(item, 'committed');
  if (item.status !== 'running' || !item.current_state) return { ...p, result: 'stale' };
  const state = item.current_state;
  const visit = item.visits[state] ?? 1;
  const reason = `No progress at "${state}" for ${o.minutes} minutes (attempt ${item.attempt})`;
  const taskId = env.newId();
  p.reviewTasks.push({
    id: taskId,
    item_id: item.id,
    state,
    visit,
    decision_id: null,
    kind: 'stuck',
    queue: o.queue,
    labels: ['retry', 'fail'],
    reasons: [{ code: 'stuck', message: reason }],
    instructions:
      'This item stopped making progress. Retry runs its current step again; fail ends it with this reason.',
    summary: { state, minutes: o.minutes, attempt: item.attempt },
    due_at: null,
    escalate_to: 'escalations',
    priority: 20,
    slot: 1,
    reviewers_required: 1,
  });
  audit(p, SYSTEM, 'item.stuck', { taskId, state, visit, minutes: o.minutes });
  return p;
}

/**
 * A decision's label settled by adjudication (a second look by someone entitled to settle
 * disagreements): a label of its own, marked adjudicated, which outranks the decision's single
 * verdicts wherever labels are counted. The item stays where it is.
 */
export function planAdjudication(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'adjudication' }>,
): Plan {
  const { decision } = o;
  const state = stateOf(definition, decision.state);
  if (state.kind !== 'decide') throw new AppError('INTERNAL', `"${decision.state}" is not a decide state`);
  const labels = state.labels ?? [];
  if (state.output) {
    if (!parseStructuredLabel(o.label) || !state.output.safeParse(parseStructuredLabel(o.label)).success)
      throw new AppError(
        'BAD_INPUT',
        'This decision is structured: the label must be the JSON of an object its schema accepts',
        {
          issues: [{ path: 'label', message: 'Expected the JSON of the corrected object' }],
        },
      );
  } else if (!labels.includes(o.label))
    throw new AppError('BAD_INPUT', `"${o.label}" is not one of this decision's labels (${labels.join(', ')})`, {
      issues: [{ path: 'label', message: `Expected one of: ${labels.join(', ')}` }],
    });
  const adjudicatedChanges = structuredChanges(definition, decision.state, decision.label, o.label);
  const p = emptyPlan(item, 'committed');
  const isCorrection = decision.label !== null && decision.label !== o.label;
  const label: LabelInsert = {
    id: env.newId(),
    item_id: item.id,
    state: decision.state,
    decision_id: decision.id,
    review_id: null,
    workflow_name: item.workflow_name,
    workflow_version_id: item.workflow_version_id,
    agent: decision.agent,
    model: decision.model,
    model_version: decision.model_version,
    prompt_version: decision.prompt_version,
    // A decision retention purged has no text left ('' in its NOT NULL column): the label has none.
    input_text: decision.input_text === '' ? null : decision.input_text,
    ai_label: decision.label,
    ai_confidence: decision.confidence,
    human_label: o.label,
    is_correction: isCorrection,
    reason: o.reason,
    reviewer_id: o.userId,
    adjudicated: true,
    final: true,
    ...(adjudicatedChanges ? fieldColumns(adjudicatedChanges) : {}),
  };
  p.labels.push(label);
  audit(p, { type: 'user', id: o.userId }, 'label.adjudicated', {
    decisionId: decision.id,
    labelId: label.id,
    state: decision.state,
    ...labelsForAudit(decision.label, o.label, adjudicatedChanges),
    override: isCorrection,
    reasonHash: textHash(o.reason),
  });
  return p;
}
