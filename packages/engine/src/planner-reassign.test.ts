// The planner without a database: a lead's reassignment of a task. Expected rows written by hand.
import { describe, expect, it } from 'vitest';
import type { Outcome } from './plan-types';
import { planTransition } from './planner';
import { NOW, refunds, snapshot, task, testEnv, USER } from './planner.fixtures';

const LEAD = '00000000-0000-4000-8000-0000000000bb';
const OTHER = '00000000-0000-4000-8000-0000000000cc';
const waitingAtApprove = snapshot({ status: 'waiting', current_state: 'approve', visits: { approve: 1 } });
const plan = (outcome: Outcome) =>
  planTransition({ item: waitingAtApprove, definition: refunds, outcome, env: testEnv() });

describe('reassignment', () => {
  it('a claimed task moves to the named person with a fresh lease, audited as the lead with from and to', () => {
    const held = task({ claimed_at: new Date('2026-12-01T11:50:00.000Z'), priority: 3 });
    const p = plan({ kind: 'task-reassigned', task: held, userId: OTHER, byUserId: LEAD, leaseMinutes: 15 });
    expect(p.taskUpdates).toEqual([
      {
        id: 'task-1',
        status: 'claimed',
        queue: 'approvals',
        priority: 3,
        assignee_id: OTHER,
        claimed_at: NOW,
        lease_expires_at: new Date('2026-12-01T12:15:00.000Z'),
        completed_at: null,
        escalated_at: null,
      },
    ]);
    expect(p.item).toBeUndefined();
    expect(p.events).toEqual([
      {
        actor: { type: 'user', id: LEAD },
        action: 'task.reassigned',
        data: {
          taskId: 'task-1',
          queue: 'approvals',
          status: 'claimed',
          from: USER,
          to: OTHER,
          by: LEAD,
          leaseMinutes: 15,
        },
      },
    ]);
  });

  it('a pending task is claimed for the named person; `from` is nobody', () => {
    const pending = task({ status: 'pending', assignee_id: null, claimed_at: null, lease_expires_at: null });
    const p = plan({ kind: 'task-reassigned', task: pending, userId: OTHER, byUserId: LEAD, leaseMinutes: 15 });
    expect(p.taskUpdates).toMatchObject([{ status: 'claimed', assignee_id: OTHER, claimed_at: NOW }]);
    expect(p.events[0]?.data).toMatchObject({ status: 'pending', from: null, to: OTHER });
  });

  it('a task already reviewed cannot move', () => {
    const done = task({ status: 'done', completed_at: NOW });
    expect(() =>
      plan({ kind: 'task-reassigned', task: done, userId: OTHER, byUserId: LEAD, leaseMinutes: 15 }),
    ).toThrow(/already been reviewed/);
  });
});
