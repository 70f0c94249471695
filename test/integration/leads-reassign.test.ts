// A lead hands tasks of their queues to named people (`leads.reassign`): the person then holds the
// task and gets it from claim-next, the one who held it loses it, and it is audited. Refused for a
// queue the lead does not lead, for a person who is not an eligible member of the task's queue, and
// for someone who holds or answered another of the same item's independent reviews.
import type { ReviewTask } from '@signoff/db';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Person, refusal, useLeadsWorld } from '../support/leads';

const w = useLeadsWorld();
const as = (p: Person) => w.as(p);
const row = (id: string) =>
  w.t.db.selectFrom('review_tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function reassignedEvents(itemId: string) {
  return w.t.db
    .selectFrom('audit_events')
    .select(['actor_type', 'actor_id', 'data'])
    .where('stream', '=', itemId)
    .where('action', '=', 'task.reassigned')
    .orderBy('seq')
    .execute();
}

describe('reassigning a task', () => {
  it('a pending task goes to the named member, who holds it with a fresh lease and gets it from claim-next', async () => {
    const task = await w.newTask('refund-flow', 1);
    expect(task).toMatchObject({ queue: 'refunds', status: 'pending', assignee_id: null });
    expect(await as('lena').leads.reassign({ taskId: task.id, userId: w.people.sam.id })).toEqual({ ok: true });

    const moved = await row(task.id);
    expect(moved).toMatchObject({ status: 'claimed', assignee_id: w.people.sam.id });
    // The lease runs from the reassignment: 5 minutes, as a claim's.
    expect((moved.lease_expires_at as Date).getTime() - (moved.claimed_at as Date).getTime()).toBe(5 * 60_000);
    expect(await reassignedEvents(task.item_id)).toEqual([
      {
        actor_type: 'user',
        actor_id: w.people.lena.id,
        data: {
          taskId: task.id,
          queue: 'refunds',
          status: 'pending',
          from: null,
          to: w.people.sam.id,
          by: w.people.lena.id,
          leaseMinutes: 5,
        },
      },
    ]);
    // Sam's next claim is the task he was handed, and his verdict counts.
    const next = await as('sam').tasks.claimNext({ queue: 'refunds' });
    expect(next?.id).toBe(task.id);
    await as('sam').tasks.submit({ taskId: task.id, verdict: 'confirm' });
    expect(await row(task.id)).toMatchObject({ status: 'done', assignee_id: w.people.sam.id });
  });

  it('a claimed task moves from its holder, whose verdict is then refused', async () => {
    const task = await w.newTask('refund-flow', 2);
    await as('lena').leads.reassign({ taskId: task.id, userId: w.people.ada.id });
    await as('lena').leads.reassign({ taskId: task.id, userId: w.people.sam.id });
    expect(await row(task.id)).toMatchObject({ status: 'claimed', assignee_id: w.people.sam.id });
    expect((await reassignedEvents(task.item_id)).map((r) => [r.data.from, r.data.to, r.data.status])).toEqual([
      [null, w.people.ada.id, 'pending'],
      [w.people.ada.id, w.people.sam.id, 'claimed'],
    ]);
    expect((await refusal(as('ada').tasks.submit({ taskId: task.id, verdict: 'confirm' }))).code).toBe('FORBIDDEN');
    await as('sam').tasks.submit({ taskId: task.id, verdict: 'confirm' });
  });

  it('a lead cannot see or move tasks of a queue they are not a member of; an admin can', async () => {
    const task = await w.newTask('refund-flow', 3);
    const otto = as('otto');
    expect(await refusal(otto.leads.reassign({ taskId: task.id, userId: w.people.zed.id }))).toEqual({
      code: 'FORBIDDEN',
      message: 'You are not a member of queue "refunds", so you do not lead it',
    });
    expect((await refusal(otto.leads.tasks({ queue: 'refunds' }))).code).toBe('FORBIDDEN');
    expect((await refusal(otto.leads.members({ queue: 'refunds' }))).code).toBe('FORBIDDEN');
    expect((await refusal(otto.leads.progress({ queue: 'refunds' }))).code).toBe('FORBIDDEN');
    expect((await refusal(otto.leads.escalations({ queue: 'refunds' }))).code).toBe('FORBIDDEN');
    expect((await otto.leads.queues()).map((q) => q.queue)).toEqual(['support']);
    expect(await row(task.id)).toMatchObject({ status: 'pending', assignee_id: null });
    // An admin leads every queue without membership.
    await as('root').leads.reassign({ taskId: task.id, userId: w.people.ada.id });
    expect(await row(task.id)).toMatchObject({ status: 'claimed', assignee_id: w.people.ada.id });
  });

  it('a reviewer cannot call the lead procedures at all', async () => {
    const task = await w.newTask('refund-flow', 4);
    const ada = as('ada');
    expect((await refusal(ada.leads.reassign({ taskId: task.id, userId: w.people.ada.id }))).code).toBe('FORBIDDEN');
    expect((await refusal(ada.leads.queues())).code).toBe('FORBIDDEN');
    expect((await refusal(ada.leads.tasks({ queue: 'refunds' }))).code).toBe('FORBIDDEN');
    expect(await row(task.id)).toMatchObject({ status: 'pending', assignee_id: null });
  });

  it('refuses people who may not take the task, saying why, and changes nothing', async () => {
    const task = await w.newTask('refund-flow', 5);
    const lena = as('lena');
    expect(await refusal(lena.leads.reassign({ taskId: task.id, userId: w.people.zed.id }))).toEqual({
      code: 'BAD_REQUEST',
      message: 'Zed Reviewer is not a member of queue "refunds"',
    });
    expect(await refusal(lena.leads.reassign({ taskId: task.id, userId: w.people.cleo.id }))).toEqual({
      code: 'BAD_REQUEST',
      message: "Cleo Compliance's role (compliance) does not review tasks",
    });
    await sql`UPDATE users SET disabled_at = now() WHERE id = ${w.people.sam.id}`.execute(w.t.db);
    try {
      expect(await refusal(lena.leads.reassign({ taskId: task.id, userId: w.people.sam.id }))).toEqual({
        code: 'BAD_REQUEST',
        message: "Sam Reviewer's account is disabled",
      });
    } finally {
      await sql`UPDATE users SET disabled_at = NULL WHERE id = ${w.people.sam.id}`.execute(w.t.db);
    }
    expect(
      await refusal(lena.leads.reassign({ taskId: task.id, userId: '00000000-0000-4000-8000-000000000000' })),
    ).toEqual({ code: 'NOT_FOUND', message: 'No user 00000000-0000-4000-8000-000000000000' });
    expect(
      await refusal(lena.leads.reassign({ taskId: '00000000-0000-4000-8000-000000000000', userId: w.people.ada.id })),
    ).toEqual({ code: 'NOT_FOUND', message: 'No review task 00000000-0000-4000-8000-000000000000' });
    expect((await refusal(lena.leads.reassign({ taskId: 'not-a-uuid', userId: w.people.ada.id }))).code).toBe(
      'BAD_REQUEST',
    );
    expect(await row(task.id)).toMatchObject({ status: 'pending', assignee_id: null });
    expect(await reassignedEvents(task.item_id)).toEqual([]);

    await lena.leads.reassign({ taskId: task.id, userId: w.people.ada.id });
    expect(await refusal(lena.leads.reassign({ taskId: task.id, userId: w.people.ada.id }))).toEqual({
      code: 'CONFLICT',
      message: 'Ada Reviewer already holds this task',
    });
    await as('ada').tasks.submit({ taskId: task.id, verdict: 'confirm' });
    expect(await refusal(lena.leads.reassign({ taskId: task.id, userId: w.people.sam.id }))).toEqual({
      code: 'CONFLICT',
      message: 'This task has already been reviewed; it cannot move',
    });
  });
});

describe('independent reviews and adjudication', () => {
  /** The two slots of a new four-eyes item. */
  async function pair(n: number): Promise<[ReviewTask, ReviewTask]> {
    const tasks = await w.newTasks('pair-flow', n);
    expect(tasks.map((x) => [x.queue, x.slot, x.reviewers_required])).toEqual([
      ['refunds', 1, 2],
      ['refunds', 2, 2],
    ]);
    return tasks as [ReviewTask, ReviewTask];
  }

  it('someone who holds or answered one of an item’s reviews is not handed another; others are', async () => {
    const [slot1, slot2] = await pair(1);
    const lena = as('lena');
    await lena.leads.reassign({ taskId: slot1.id, userId: w.people.ada.id });
    const why = 'Ada Reviewer already reviewed this item at "approve"; its reviews need different people';
    expect(await refusal(lena.leads.reassign({ taskId: slot2.id, userId: w.people.ada.id }))).toEqual({
      code: 'BAD_REQUEST',
      message: why,
    });
    // Answered, not only held: still refused.
    expect(await as('ada').tasks.submit({ taskId: slot1.id, verdict: 'answer', label: 'ok' })).toMatchObject({
      awaitingVerdicts: 1,
    });
    expect(await refusal(lena.leads.reassign({ taskId: slot2.id, userId: w.people.ada.id }))).toEqual({
      code: 'BAD_REQUEST',
      message: why,
    });
    // The member list says who may take it and why not, before the lead picks.
    expect(
      (await lena.leads.members({ queue: 'refunds', taskId: slot2.id })).map((m) => [m.name, m.eligible, m.reason]),
    ).toEqual([
      ['Ada Reviewer', false, why],
      ['Cleo Compliance', false, "Cleo Compliance's role (compliance) does not review tasks"],
      ['Lena Lead', true, null],
      ['Lou Lead', true, null],
      ['Sam Reviewer', true, null],
    ]);
    await lena.leads.reassign({ taskId: slot2.id, userId: w.people.sam.id });
    expect(await row(slot2.id)).toMatchObject({ status: 'claimed', assignee_id: w.people.sam.id });
  });

  it('an adjudication goes to a lead, never to a reviewer, nor to a lead who gave one of the verdicts', async () => {
    const [slot1, slot2] = await pair(2);
    const lena = as('lena');
    await lena.leads.reassign({ taskId: slot1.id, userId: w.people.ada.id });
    await lena.leads.reassign({ taskId: slot2.id, userId: w.people.lou.id });
    await as('ada').tasks.submit({ taskId: slot1.id, verdict: 'answer', label: 'ok' });
    expect(await as('lou').tasks.submit({ taskId: slot2.id, verdict: 'answer', label: 'no' })).toMatchObject({
      adjudication: true,
    });
    const [adjudication] = await lena.leads.tasks({ queue: 'refunds', kind: 'adjudication' });
    expect(adjudication).toMatchObject({ itemId: slot1.item_id, status: 'pending', assigneeName: null });
    const id = adjudication?.id as string;
    expect((await lena.leads.queues()).find((q) => q.queue === 'refunds')?.adjudications).toBe(1);
    expect(await refusal(lena.leads.reassign({ taskId: id, userId: w.people.sam.id }))).toEqual({
      code: 'BAD_REQUEST',
      message: 'Only a lead settles a disagreement; Sam Reviewer is a reviewer',
    });
    expect(await refusal(lena.leads.reassign({ taskId: id, userId: w.people.lou.id }))).toEqual({
      code: 'BAD_REQUEST',
      message: 'Lou Lead gave one of the verdicts in dispute; someone else settles them',
    });
    await lena.leads.reassign({ taskId: id, userId: w.people.lena.id });
    expect(await row(id)).toMatchObject({ status: 'claimed', assignee_id: w.people.lena.id });
    // Handed to her, Lena settles it and the item goes on with her label.
    await lena.tasks.submit({ taskId: id, verdict: 'answer', label: 'no' });
    expect((await w.e.settle(slot1.item_id)).context.approve).toMatchObject({ label: 'no', adjudicated: true });
  });
});
