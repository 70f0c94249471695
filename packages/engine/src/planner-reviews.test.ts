// The planner without a database: human work (verdicts, QA verdicts, operator actions, claims,
// releases, escalations, stuck items). Expected rows written out by hand.
import { describe, expect, it } from 'vitest';
import type { Outcome } from './plan-types';
import { planTransition } from './planner';
import { aiDecision, ITEM, NOW, refunds, snapshot, task, testEnv, USER } from './planner.fixtures';

const plan = (outcome: Outcome, item = snapshot()) =>
  planTransition({ item, definition: refunds, outcome, env: testEnv() });
const reviewer = { type: 'user', id: USER };
const waitingAtApprove = snapshot({ status: 'waiting', current_state: 'approve', visits: { approve: 1 } });

describe('verdicts', () => {
  it('a review step answered: review, label, task done, the state run closed, the item moves on as the reviewer', () => {
    const p = plan(
      {
        kind: 'verdict',
        task: task(),
        decision: undefined,
        verdict: 'answer',
        label: 'yes',
        reason: null,
        userId: USER,
      },
      waitingAtApprove,
    );
    expect(p.reviews).toEqual([
      { id: 'id-1', task_id: 'task-1', reviewer_id: USER, verdict: 'answer', label: 'yes', reason: null },
    ]);
    expect(p.labels).toMatchObject([
      { id: 'id-2', review_id: 'id-1', decision_id: null, ai_label: null, human_label: 'yes', is_correction: false },
    ]);
    expect(p.taskUpdates).toEqual([
      {
        id: 'task-1',
        status: 'done',
        queue: 'approvals',
        priority: 0,
        assignee_id: USER,
        claimed_at: NOW,
        lease_expires_at: null,
        completed_at: NOW,
        escalated_at: null,
      },
    ]);
    expect(p.stateRunCloses).toEqual([
      {
        item_id: ITEM,
        state: 'approve',
        visit: 1,
        output: { label: 'yes', note: null, reviewedBy: USER },
        next_state: 'small',
      },
    ]);
    expect(p.events.map((e) => [e.action, e.actor])).toEqual([
      ['review.submitted', reviewer],
      ['state.completed', reviewer],
      // The final state reached on the way is the engine's doing.
      ['item.finished', { type: 'system', id: null }],
    ]);
    expect(p.events[0]?.data).toEqual({
      taskId: 'task-1',
      reviewId: 'id-1',
      labelId: 'id-2',
      verdict: 'answer',
      aiLabel: null,
      humanLabel: 'yes',
      override: false,
      reasonHash: null,
      leaseExpired: false,
    });
    expect(p.item).toMatchObject({ status: 'rejected', current_state: 'small' });
  });

  it('a correction of the AI is a label marked as one, with the AI answer and its raw confidence', () => {
    const item = snapshot({ status: 'waiting', current_state: 'classify', visits: { classify: 1 } });
    const p = plan(
      {
        kind: 'verdict',
        task: task({ state: 'classify', kind: 'decision', decision_id: 'decision-1', labels: ['refund', 'deny'] }),
        decision: aiDecision,
        verdict: 'correct',
        label: 'deny',
        reason: 'policy says no',
        userId: USER,
      },
      item,
    );
    expect(p.labels[0]).toMatchObject({
      decision_id: 'decision-1',
      agent: 'refund-classifier',
      model_version: 'v3',
      ai_label: 'refund',
      ai_confidence: 0.62,
      human_label: 'deny',
      is_correction: true,
      reason: 'policy says no',
    });
    // The decide state's output is the human's label, with the calibrated confidence kept for reference.
    expect(p.item?.context.classify).toEqual({
      label: 'deny',
      confidence: 0.55,
      decidedBy: 'human',
      rationale: 'policy says no',
    });
    expect(p.events[0]?.data).toMatchObject({ override: true, aiLabel: 'refund', humanLabel: 'deny' });
  });

  it('a verdict after the lease expired is accepted and says so', () => {
    const expired = task({ lease_expires_at: new Date(NOW.getTime() - 1) });
    const p = plan(
      {
        kind: 'verdict',
        task: expired,
        decision: undefined,
        verdict: 'answer',
        label: 'no',
        reason: null,
        userId: USER,
      },
      waitingAtApprove,
    );
    expect(p.events[0]?.data.leaseExpired).toBe(true);
  });

  it('a verdict on an item that is no longer waiting on the task is refused', () => {
    const verdict: Outcome = {
      kind: 'verdict',
      task: task(),
      decision: undefined,
      verdict: 'answer',
      label: 'yes',
      reason: null,
      userId: USER,
    };
    expect(() => plan(verdict, snapshot({ current_state: 'approve', visits: { approve: 1 } }))).toThrow(
      /not waiting on this review/,
    );
    expect(() => plan(verdict, { ...waitingAtApprove, visits: { approve: 2 } })).toThrow(/not waiting on this review/);
  });

  it('a QA verdict is a label and an audit event; the item stays where it is', () => {
    const p = plan(
      {
        kind: 'qa-verdict',
        task: task({ kind: 'qa', state: 'classify', decision_id: 'decision-1' }),
        decision: aiDecision,
        verdict: 'confirm',
        label: 'refund',
        reason: null,
        userId: USER,
      },
      snapshot({ current_state: 'settle', visits: { classify: 1, settle: 1 } }),
    );
    expect(p.labels[0]).toMatchObject({ ai_label: 'refund', human_label: 'refund', is_correction: false });
    expect(p.item).toBeUndefined();
    expect(p.jobs).toEqual([]);
    expect(p.events.map((e) => e.action)).toEqual(['review.submitted']);
    expect(p.events[0]?.data).toMatchObject({ qa: true });
  });
});

describe('operators', () => {
  const stuck = task({ kind: 'stuck', state: 'charge', labels: ['retry', 'fail'] });
  const stuckItem = snapshot({ attempt: 2 });

  it('retry runs the stuck state again as the next attempt', () => {
    const p = plan(
      { kind: 'operator', task: stuck, action: 'retry', reason: 'lost in an outage', userId: USER },
      stuckItem,
    );
    expect(p.item).toMatchObject({ attempt: 3, status: 'running', current_state: 'charge' });
    expect(p.jobs).toEqual([{ data: { itemId: ITEM, state: 'charge', visit: 1, attempt: 3 } }]);
    expect(p.events.map((e) => e.action)).toEqual(['review.submitted', 'state.retry_scheduled']);
    expect(p.events[1]?.data).toEqual({ state: 'charge', visit: 1, attempt: 2, nextAttempt: 3, manual: true });
    expect(p.reviews).toMatchObject([{ verdict: 'answer', label: 'retry' }]);
    expect(p.labels).toEqual([]);
  });

  it('fail ends the item with the reason, by the operator', () => {
    const p = plan(
      { kind: 'operator', task: stuck, action: 'fail', reason: 'duplicate order', userId: USER },
      stuckItem,
    );
    expect(p.item).toMatchObject({
      status: 'failed',
      error: { state: 'charge', message: 'Failed by an operator: duplicate order', reason: 'duplicate order' },
    });
    expect(p.events[1]).toMatchObject({ action: 'item.failed', actor: reviewer });
  });

  it('an item that moved on meanwhile keeps its course; only the answer is recorded', () => {
    const p = plan(
      { kind: 'operator', task: stuck, action: 'retry', reason: null, userId: USER },
      snapshot({ current_state: 'settle', visits: { charge: 1, settle: 1 } }),
    );
    expect(p.item).toBeUndefined();
    expect(p.jobs).toEqual([]);
    expect(p.taskUpdates).toMatchObject([{ status: 'done' }]);
  });
});

describe('tasks', () => {
  it('a claim holds the task for its lease; a release gives it back', () => {
    const pending = task({ status: 'pending', assignee_id: null, claimed_at: null, lease_expires_at: null });
    const claimed = plan({ kind: 'task-claimed', task: pending, userId: USER, leaseMinutes: 15 }, waitingAtApprove);
    expect(claimed.taskUpdates).toEqual([
      {
        id: 'task-1',
        status: 'claimed',
        queue: 'approvals',
        priority: 0,
        assignee_id: USER,
        claimed_at: NOW,
        lease_expires_at: new Date('2026-12-01T12:15:00.000Z'),
        completed_at: null,
        escalated_at: null,
      },
    ]);
    expect(claimed.item).toBeUndefined();
    expect(claimed.events).toEqual([
      { actor: reviewer, action: 'task.claimed', data: { taskId: 'task-1', queue: 'approvals', leaseMinutes: 15 } },
    ]);
    const released = plan({ kind: 'task-released', task: task(), userId: USER }, waitingAtApprove);
    expect(released.taskUpdates).toMatchObject([
      { status: 'pending', assignee_id: null, claimed_at: null, lease_expires_at: null },
    ]);
  });

  it('an overdue task moves to its escalation queue, unclaimed, 10 higher in priority', () => {
    const due = new Date('2026-12-01T11:00:00.000Z');
    const p = plan(
      { kind: 'task-escalated', task: task({ escalate_to: 'leads', priority: 5, due_at: due }) },
      waitingAtApprove,
    );
    expect(p.taskUpdates).toEqual([
      {
        id: 'task-1',
        status: 'pending',
        queue: 'leads',
        priority: 15,
        assignee_id: null,
        claimed_at: null,
        lease_expires_at: null,
        completed_at: null,
        escalated_at: NOW,
      },
    ]);
    expect(p.events[0]).toEqual({
      actor: { type: 'system', id: null },
      action: 'task.escalated',
      data: {
        taskId: 'task-1',
        from: 'approvals',
        to: 'leads',
        dueAt: '2026-12-01T11:00:00.000Z',
        unclaimedFrom: USER,
      },
    });
  });

  it('a claim of a task whose lease expired names whom it was taken from', () => {
    const expired = task({ status: 'claimed', assignee_id: 'user-2' });
    const p = plan({ kind: 'task-claimed', task: expired, userId: USER, leaseMinutes: 5 }, waitingAtApprove);
    expect(p.taskUpdates).toMatchObject([
      { status: 'claimed', assignee_id: USER, lease_expires_at: new Date('2026-12-01T12:05:00.000Z') },
    ]);
    expect(p.events).toEqual([
      {
        actor: reviewer,
        action: 'task.claimed',
        data: { taskId: 'task-1', queue: 'approvals', leaseMinutes: 5, leaseExpiredFrom: 'user-2' },
      },
    ]);
  });

  it('a skip gives the task back, unclaimed, audited as the reviewer', () => {
    const p = plan({ kind: 'task-skipped', task: task(), userId: USER }, waitingAtApprove);
    expect(p.taskUpdates).toEqual([
      {
        id: 'task-1',
        status: 'pending',
        queue: 'approvals',
        priority: 0,
        assignee_id: null,
        claimed_at: null,
        lease_expires_at: null,
        completed_at: null,
        escalated_at: null,
      },
    ]);
    expect(p.item).toBeUndefined();
    expect(p.events).toEqual([
      { actor: reviewer, action: 'task.skipped', data: { taskId: 'task-1', queue: 'approvals' } },
    ]);
  });

  it('a reviewer hands a task up: the escalation queue, 10 higher, with them as actor and their reason', () => {
    const p = plan(
      {
        kind: 'task-escalated',
        task: task({ escalate_to: 'leads', priority: 2 }),
        userId: USER,
        reason: 'over my limit',
      },
      waitingAtApprove,
    );
    expect(p.taskUpdates).toMatchObject([
      { status: 'pending', queue: 'leads', priority: 12, assignee_id: null, claimed_at: null, escalated_at: NOW },
    ]);
    expect(p.events).toEqual([
      {
        actor: reviewer,
        action: 'task.escalated',
        data: {
          taskId: 'task-1',
          from: 'approvals',
          to: 'leads',
          dueAt: null,
          unclaimedFrom: USER,
          reason: 'over my limit',
        },
      },
    ]);
  });

  it('an item without progress gets a stuck task for an operator', () => {
    const p = plan({ kind: 'item-stuck', queue: 'ops', minutes: 45 }, snapshot({ attempt: 2 }));
    expect(p.reviewTasks).toEqual([
      {
        id: 'id-1',
        item_id: ITEM,
        state: 'charge',
        visit: 1,
        decision_id: null,
        kind: 'stuck',
        queue: 'ops',
        labels: ['retry', 'fail'],
        reasons: [{ code: 'stuck', message: 'No progress at "charge" for 45 minutes (attempt 2)' }],
        instructions:
          'This item stopped making progress. Retry runs its current step again; fail ends it with this reason.',
        summary: { state: 'charge', minutes: 45, attempt: 2 },
        due_at: null,
        escalate_to: 'escalations',
        priority: 20,
        slot: 1,
        reviewers_required: 1,
      },
    ]);
    expect(p.events.map((e) => e.action)).toEqual(['item.stuck']);
    expect(plan({ kind: 'item-stuck', queue: 'ops', minutes: 45 }, waitingAtApprove).result).toBe('stale');
  });
});
