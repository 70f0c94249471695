// The transition planner: (item, definition, outcome) -> the rows to write, the audit events, the
// item's new position and the next jobs. Pure: no I/O, no clock or randomness but `env`'s.
import type { WorkflowDefinition } from '@signoff/core';
import { type Actor, GENESIS_HASH, maskPiiText, payloadHash } from '@signoff/governance';
import { planBranchError, planBranchResult } from './plan-branches';
import { audit, emptyPlan } from './plan-common';
import {
  planAdjudication,
  planItemStuck,
  planOperatorAction,
  planQaVerdict,
  planTaskClaimed,
  planTaskEscalated,
  planTaskReassigned,
  planTaskReleased,
  planTaskSkipped,
  planVerdict,
} from './plan-reviews';
import { planJobFailed, planStateError, planStateResult } from './plan-state';
import type {
  BranchRow,
  EventRow,
  ItemSnapshot,
  OpenWaitRow,
  Outcome,
  Plan,
  PlanEnv,
  PointVerdict,
} from './plan-types';
import { planDeadlinePassed, planEventReceived, planTimerFired } from './plan-waits';

/** Rows besides the item that some outcomes are planned against, read (and locked) by the runner. */
export interface TransitionAux {
  /** The branch rows of the parallel state visit (branch outcomes, fan-outs). */
  branches?: BranchRow[];
  /** The open wait of a deadline job. */
  openWait?: OpenWaitRow;
  /** An event that arrived before its wait started. */
  earlyEvent?: EventRow;
  /** The verdicts already given at the review point of a verdict (its other slots, its adjudication). */
  pointVerdicts?: PointVerdict[];
}

export interface PlanInput {
  item: ItemSnapshot;
  definition: WorkflowDefinition;
  outcome: Outcome;
  env: PlanEnv;
  aux?: TransitionAux;
}

/**
 * Plans one transition of one item. A job or request that no longer matches where the item is
 * gives a `stale` plan with nothing to write. Throws `AppError` for a human action that cannot
 * apply (a verdict on an item that moved on).
 *
 * @example
 * const plan = planTransition({ item, definition, env: { now: new Date(), newId: randomUUID, random: Math.random },
 *   outcome: { kind: 'state-result', job, startedAt, result: { kind: 'advance', output: { ok: true }, next: 'done' } } });
 * plan.result; // 'committed'
 * plan.item?.current_state; // 'done'
 */
export function planTransition({ item, definition, outcome: o, env, aux = {} }: PlanInput): Plan {
  switch (o.kind) {
    case 'state-result':
      return planStateResult(item, definition, env, o, {
        earlyEvent: aux.earlyEvent,
        branchesExist: (aux.branches?.length ?? 0) > 0,
      });
    case 'state-error':
      return planStateError(item, definition, env, o);
    case 'branch-result':
      return planBranchResult(item, definition, env, o, aux.branches ?? []);
    case 'branch-error':
      return planBranchError(item, definition, env, o, aux.branches ?? []);
    case 'timer-fired':
      return planTimerFired(item, definition, env, o);
    case 'deadline-passed':
      return planDeadlinePassed(item, definition, env, o, aux.openWait);
    case 'event':
      return planEventReceived(item, definition, env, o);
    case 'verdict':
      return planVerdict(item, definition, env, o, aux.pointVerdicts ?? []);
    case 'qa-verdict':
      return planQaVerdict(item, definition, env, o);
    case 'operator':
      return planOperatorAction(item, env, o);
    case 'task-claimed':
      return planTaskClaimed(item, env, o);
    case 'task-released':
      return planTaskReleased(item, o);
    case 'task-reassigned':
      return planTaskReassigned(item, env, o);
    case 'task-skipped':
      return planTaskSkipped(item, o);
    case 'task-escalated':
      return planTaskEscalated(item, env, o);
    case 'item-stuck':
      return planItemStuck(item, env, o);
    case 'adjudication':
      return planAdjudication(item, definition, env, o);
    case 'job-failed':
      return planJobFailed(item, env, o);
  }
}

export interface PlannedSubmission {
  workflow: { definition: WorkflowDefinition; versionId: string; version: number };
  /** The input as the workflow's schema parsed it. */
  input: unknown;
  idempotencyKey: string | null;
  actor: Actor;
}

/** A new item on its workflow's start state: the item row, its first audit event and its first job. */
export function planSubmission(s: PlannedSubmission, env: PlanEnv): Plan {
  const { definition, versionId, version } = s.workflow;
  const id = env.newId();
  const p = emptyPlan({ id, audit_seq: 0, audit_hash: GENESIS_HASH }, 'committed');
  p.newItem = {
    id,
    workflow_name: definition.name,
    workflow_version_id: versionId,
    idempotency_key: s.idempotencyKey,
    input: s.input,
    status: 'running',
    current_state: definition.start,
    visits: { [definition.start]: 1 },
  };
  audit(p, s.actor, 'item.submitted', {
    workflow: definition.name,
    version,
    versionId,
    // The audit log is never purged: it keeps the key masked (the item's row keeps it as sent).
    idempotencyKey: s.idempotencyKey === null ? null : maskPiiText(s.idempotencyKey),
    start: definition.start,
    // The input stays on the item (where retention may purge it); the event proves what it was.
    inputHash: payloadHash(s.input),
  });
  p.jobs.push({ data: { itemId: id, state: definition.start, visit: 1 } });
  return p;
}
