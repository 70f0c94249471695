// What a lead reads about their queues: open work per queue, the task list with who holds what,
// per-reviewer progress (done, overrides, time per task) over a window, and the overdue and
// escalated tasks. Every expected figure is worked out by hand from rows with known times.
import type { ReviewTask } from '@signoff/db';
import { escalateOverdue } from '@signoff/engine';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { aiAnswer, type Person, refusal, useLeadsWorld } from '../support/leads';

const w = useLeadsWorld();
const as = (p: Person) => w.as(p);

/** Sets when a task was claimed and completed. */
async function times(taskId: string, claimed: string, completed: string) {
  await sql`UPDATE review_tasks SET claimed_at = ${new Date(claimed)}, completed_at = ${new Date(completed)}
             WHERE id = ${taskId}`.execute(w.t.db);
}

describe('queues', () => {
  it('counts open work per queue: pending, claimed, expired leases, overdue, members', async () => {
    const [a, b, c] = [
      await w.newTask('intake-flow', 1),
      await w.newTask('intake-flow', 2),
      await w.newTask('intake-flow', 3),
    ];
    const lena = as('lena');
    await lena.leads.reassign({ taskId: a.id, userId: w.people.ada.id });
    await lena.leads.reassign({ taskId: b.id, userId: w.people.sam.id });
    await sql`UPDATE review_tasks SET lease_expires_at = now() - interval '1 minute' WHERE id = ${b.id}`.execute(
      w.t.db,
    );
    await sql`UPDATE review_tasks SET due_at = now() - interval '5 minutes' WHERE id = ${c.id}`.execute(w.t.db);
    const queues = await lena.leads.queues();
    expect(queues.map((q) => q.queue)).toEqual(['claims', 'intake', 'refunds', 'triage']);
    expect(queues.find((q) => q.queue === 'intake')).toEqual({
      queue: 'intake',
      pending: 1,
      claimed: 1,
      expired: 1,
      overdue: 1,
      escalated: 0,
      adjudications: 0,
      oldest: a.created_at,
      members: 3,
    });
    // An empty queue the lead leads is listed with zeros.
    expect(queues.find((q) => q.queue === 'claims')).toMatchObject({ pending: 0, claimed: 0, members: 3 });

    const listed = await lena.leads.tasks({ queue: 'intake' });
    expect(listed.map((r) => [r.id, r.status, r.assigneeName, r.leaseExpired, r.overdue])).toEqual([
      // Claim order: the overdue one (it has a due time), then by age.
      [c.id, 'pending', null, false, true],
      [a.id, 'claimed', 'Ada Reviewer', false, false],
      [b.id, 'claimed', 'Sam Reviewer', true, false],
    ]);
    expect((await lena.leads.tasks({ queue: 'intake', status: 'claimed' })).map((r) => r.id)).toEqual([a.id, b.id]);
    expect((await lena.leads.tasks({ queue: 'intake', status: 'pending' })).map((r) => r.id)).toEqual([c.id]);
    expect((await lena.leads.tasks({ queue: 'intake', status: 'overdue' })).map((r) => r.id)).toEqual([c.id]);
    expect(await lena.leads.tasks({ queue: 'intake', kind: 'adjudication' })).toEqual([]);
    expect((await lena.leads.tasks({ queue: 'intake', kind: 'review' })).map((r) => r.id)).toEqual([c.id, a.id, b.id]);
    expect((await refusal(lena.leads.tasks({ queue: 'intake', status: 'done' as 'pending' }))).code).toBe(
      'BAD_REQUEST',
    );
    expect((await lena.leads.members({ queue: 'intake' })).map((m) => [m.name, m.role, m.openClaims])).toEqual([
      ['Ada Reviewer', 'reviewer', 1],
      ['Lena Lead', 'lead', 0],
      // Sam's lease expired: he no longer holds it.
      ['Sam Reviewer', 'reviewer', 0],
    ]);
    // Answered, the overdue task leaves the counts (and the escalation sweep of the next test).
    await lena.leads.reassign({ taskId: c.id, userId: w.people.ada.id });
    await as('ada').tasks.submit({ taskId: c.id, verdict: 'answer', label: 'ok' });
    expect((await lena.leads.queues()).find((q) => q.queue === 'intake')).toMatchObject({
      pending: 0,
      claimed: 1,
      expired: 1,
      overdue: 0,
    });
  });
});

describe('progress', () => {
  const window = { queue: 'claims', from: new Date('2026-11-30T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };

  it('per reviewer: done, verdicts on the AI and overrides, mean and median time per task, open claims', async () => {
    const lena = as('lena');
    const made: ReviewTask[] = [];
    for (let i = 0; i < 7; i++) made.push(await w.newTask('claims-flow', 100 + i));
    const [t1, t2, t3, t4, t5, t6, t7] = made as [
      ReviewTask,
      ReviewTask,
      ReviewTask,
      ReviewTask,
      ReviewTask,
      ReviewTask,
      ReviewTask,
    ];
    for (const task of [t1, t2, t3, t6]) await lena.leads.reassign({ taskId: task.id, userId: w.people.ada.id });
    for (const task of [t4, t5, t7]) await lena.leads.reassign({ taskId: task.id, userId: w.people.sam.id });
    const ada = as('ada');
    const sam = as('sam');
    await ada.tasks.submit({ taskId: t1.id, verdict: 'confirm' });
    const t2ai = await aiAnswer(w.t, t2);
    await ada.tasks.submit({ taskId: t2.id, verdict: 'correct', label: t2ai.other, reason: 'asks about shipping' });
    await ada.tasks.submit({ taskId: t3.id, verdict: 'confirm' });
    await ada.tasks.submit({ taskId: t6.id, verdict: 'confirm' });
    await sam.tasks.submit({ taskId: t4.id, verdict: 'confirm' });
    await sam.tasks.submit({ taskId: t5.id, verdict: 'confirm' });
    // t7 stays with Sam: an open claim.
    await times(t1.id, '2026-11-30T09:00:00Z', '2026-11-30T09:01:00Z'); // 60 s
    await times(t2.id, '2026-11-30T10:00:00Z', '2026-11-30T10:02:00Z'); // 120 s
    // Claimed before the window, completed in it: it counts (a task counts when it is done).
    await times(t3.id, '2026-11-29T23:58:00Z', '2026-11-30T00:03:00Z'); // 300 s
    // Completed after the window: it does not.
    await times(t6.id, '2026-11-30T23:59:00Z', '2026-12-01T00:00:30Z');
    await times(t4.id, '2026-11-30T12:00:00Z', '2026-11-30T12:00:30Z'); // 30 s
    await times(t5.id, '2026-11-30T13:00:00Z', '2026-11-30T13:01:30Z'); // 90 s

    expect(await lena.leads.progress(window)).toEqual([
      // Ada: 60, 120, 300 s: mean 160, median 120; one correction among three verdicts on the AI.
      {
        userId: w.people.ada.id,
        name: 'Ada Reviewer',
        role: 'reviewer',
        done: 3,
        aiVerdicts: 3,
        overrides: 1,
        meanSeconds: 160,
        medianSeconds: 120,
        openClaims: 0,
      },
      // Sam: 30 and 90 s: mean and median 60; he holds t7.
      {
        userId: w.people.sam.id,
        name: 'Sam Reviewer',
        role: 'reviewer',
        done: 2,
        aiVerdicts: 2,
        overrides: 0,
        meanSeconds: 60,
        medianSeconds: 60,
        openClaims: 1,
      },
      // A member who did nothing in the window is listed too.
      {
        userId: w.people.lena.id,
        name: 'Lena Lead',
        role: 'lead',
        done: 0,
        aiVerdicts: 0,
        overrides: 0,
        meanSeconds: null,
        medianSeconds: null,
        openClaims: 0,
      },
    ]);
    // A lead of other queues sees none of it, and may not ask for it.
    expect((await refusal(as('otto').leads.progress(window))).code).toBe('FORBIDDEN');
    const otto = await as('otto').leads.progress({ from: window.from, to: window.to });
    expect(otto.map((r) => [r.name, r.done])).toEqual([
      ['Otto Lead', 0],
      ['Zed Reviewer', 0],
    ]);
    // The admin's view over every queue counts Ada's three and Sam's two.
    const all = await as('root').leads.progress({ from: window.from, to: window.to });
    expect(all.filter((r) => r.done > 0).map((r) => [r.name, r.done, r.overrides])).toEqual([
      ['Ada Reviewer', 3, 1],
      ['Sam Reviewer', 2, 0],
    ]);
  });

  it('refuses a window that ends before it starts', async () => {
    expect(await refusal(as('lena').leads.progress({ queue: 'claims', from: window.to, to: window.from }))).toEqual({
      code: 'BAD_REQUEST',
      message: 'The window must start before it ends',
    });
  });
});

describe('escalations', () => {
  it('shows overdue tasks, and tasks escalated out of the lead’s queues to where they wait now', async () => {
    const escalated = await w.newTask('triage-flow', 1);
    expect(escalated).toMatchObject({ queue: 'triage', escalate_to: 'escalations' });
    const later = new Date(Date.now() + 61 * 60_000);
    expect(await w.t.db.transaction().execute((trx) => escalateOverdue(trx, w.e, { now: later }))).toMatchObject({
      tasks: 1,
    });
    const overdue = await w.newTask('triage-flow', 2);
    await sql`UPDATE review_tasks SET due_at = now() - interval '5 minutes' WHERE id = ${overdue.id}`.execute(w.t.db);
    await as('lena').leads.reassign({ taskId: overdue.id, userId: w.people.ada.id });

    const rows = await as('lena').leads.escalations({});
    expect(
      rows.map((r) => [r.id, r.queue, r.fromQueue, r.status, r.assigneeName, r.overdue, r.escalatedAt !== null]),
    ).toEqual([
      [overdue.id, 'triage', null, 'claimed', 'Ada Reviewer', true, false],
      [escalated.id, 'escalations', 'triage', 'pending', null, false, true],
    ]);
    expect((await as('lena').leads.escalations({ queue: 'triage' })).map((r) => r.id)).toEqual([
      overdue.id,
      escalated.id,
    ]);
    // Otto leads none of it.
    expect(await as('otto').leads.escalations({})).toEqual([]);
    // The queue overview agrees: triage has one overdue; the escalation queue (which Lena does not
    // lead) holds the escalated one, as the admin sees.
    expect((await as('lena').leads.queues()).find((q) => q.queue === 'triage')).toMatchObject({
      pending: 0,
      claimed: 1,
      overdue: 1,
      escalated: 0,
    });
    expect((await as('root').leads.queues()).find((q) => q.queue === 'escalations')).toMatchObject({
      pending: 1,
      escalated: 1,
      members: 0,
    });
    // Lena sees it but does not lead the queue it waits in: she cannot move it.
    expect((await refusal(as('lena').leads.reassign({ taskId: escalated.id, userId: w.people.ada.id }))).code).toBe(
      'FORBIDDEN',
    );
  });
});
