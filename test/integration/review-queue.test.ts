// The review queue on the server (issue 11), through the tRPC procedures as the console calls them:
// membership decides what a reviewer claims and reads; claim order is priority, due time, age;
// a skip is not offered straight back; an abandoned lease returns the task; heartbeats extend it;
// one person never holds or answers two slots of one review point; adjudication is for leads.
// Time is moved by writing timestamps in SQL, never by waiting.
import { appRouter, createCallerFactory } from '@signoff/api';
import type { Role } from '@signoff/core';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { finishTask, queueFlow, seedTasks, type TaskSpec } from '../support/review-tasks';

let t: TestDatabase;
let e: TestEngine;
let versionId: string;
const people = new Map<string, SessionUser>();

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [queueFlow], { workers: false });
  versionId = (e.registry.latest(queueFlow.name) as { versionId: string }).versionId;
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

/** A user of `role`, member of `queues` (an admin is a member of none). */
async function person(name: string, role: Role, queues: string[] = []): Promise<SessionUser> {
  const user = await upsertUser(t.db, { email: `${name}@queue.test`, name, role, password: 'x' });
  await joinQueues(t.db, user.id, queues);
  people.set(name, user);
  return user;
}

function as(user: SessionUser) {
  return createCallerFactory(appRouter)({ db: t.db, boss: e.boss, registry: e.registry, user, token: null }).tasks;
}

const seed = (specs: TaskSpec[]) => seedTasks(t.db, versionId, specs);

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string } | 'answered'> {
  try {
    await p;
    return 'answered';
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code, message: error.message };
    throw error;
  }
}

async function taskRow(id: string) {
  return t.db
    .selectFrom('review_tasks')
    .select(['status', 'queue', 'priority', 'assignee_id', 'escalated_at', 'claimed_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

/** The item trail's task events for a task: action, actor and data. */
async function taskEvents(taskId: string) {
  const rows = await t.db
    .selectFrom('audit_events')
    .select(['action', 'actor_id', 'data'])
    .where(sql<boolean>`data->>'taskId' = ${taskId}`)
    .orderBy('stream')
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ action: r.action, actor: r.actor_id, data: r.data }));
}

describe('membership', () => {
  it('a reviewer claims and reads only their queues’ tasks; a lead reads their queues’; an admin all', async () => {
    const [inside] = await seed([{ queue: 'm-inside' }]);
    const [outside] = await seed([{ queue: 'm-outside', priority: 50 }]);
    const member = await person('m-member', 'reviewer', ['m-inside']);
    const stranger = await person('m-stranger', 'reviewer', ['m-elsewhere']);
    const lead = await person('m-lead', 'lead', ['m-inside']);
    const otherLead = await person('m-other-lead', 'lead', ['m-outside']);
    const admin = await person('m-admin', 'admin');

    // Outside every queue of theirs: nothing to claim, named queue or not, and no task to read.
    expect(await as(stranger).claimNext({})).toBeNull();
    expect(await as(stranger).claimNext({ queue: 'm-inside' })).toBeNull();
    expect(await refusal(as(stranger).get({ taskId: inside as string }))).toEqual({
      code: 'FORBIDDEN',
      message: 'You may open only tasks you hold (or, as a lead, tasks of your queues); this one is not yours',
    });

    // The member gets the task of their queue, not the higher-priority one of a queue they are not in.
    const claimed = await as(member).claimNext({});
    expect(claimed?.id).toBe(inside);
    expect((await as(member).get({ taskId: inside as string })).id).toBe(inside);
    expect(((await refusal(as(member).get({ taskId: outside as string }))) as { code: string }).code).toBe('FORBIDDEN');
    // Held by the member, still closed to other reviewers, even those of the queue.
    const colleague = await person('m-colleague', 'reviewer', ['m-inside']);
    expect(((await refusal(as(colleague).get({ taskId: inside as string }))) as { code: string }).code).toBe(
      'FORBIDDEN',
    );
    // A lead of the queue reads it; a lead of another queue does not.
    expect((await as(lead).get({ taskId: inside as string })).assignee_id).toBe(member.id);
    expect(((await refusal(as(otherLead).get({ taskId: inside as string }))) as { code: string }).code).toBe(
      'FORBIDDEN',
    );
    // An admin reads and claims without being a member anywhere.
    expect((await as(admin).get({ taskId: inside as string })).id).toBe(inside);
    expect((await as(admin).claimNext({ queue: 'm-outside' }))?.id).toBe(outside);
    expect(await refusal(as(admin).get({ taskId: '00000000-0000-4000-8000-000000000000' }))).toEqual({
      code: 'NOT_FOUND',
      message: 'No review task 00000000-0000-4000-8000-000000000000',
    });
  });

  it('queue counts cover the caller’s queues only, empty ones included; an admin sees every queue', async () => {
    const ids = await seed([
      { queue: 'c-one' },
      { queue: 'c-one' },
      { queue: 'c-one', dueInMinutes: -5 },
      { queue: 'c-two' },
    ]);
    const reviewer = await person('c-reviewer', 'reviewer', ['c-one', 'c-empty']);
    const holder = await person('c-holder', 'reviewer', ['c-one']);
    const admin = await person('c-admin', 'admin');
    // The overdue one is claimed first (same priority, the only one due): it is then claimed and overdue.
    expect((await as(holder).claimNext({ queue: 'c-one' }))?.id).toBe(ids[2]);
    const counts = await as(reviewer).queues();
    expect(counts.map(({ oldest, ...c }) => c)).toEqual([
      { queue: 'c-empty', pending: 0, claimed: 0, overdue: 0 },
      { queue: 'c-one', pending: 2, claimed: 1, overdue: 1 },
    ]);
    expect(counts[0]?.oldest).toBeNull();
    expect(counts[1]?.oldest).toBeInstanceOf(Date);
    const all = (await as(admin).queues()).filter((c) => c.queue.startsWith('c-'));
    expect(all.map((c) => [c.queue, c.pending, c.claimed])).toEqual([
      ['c-empty', 0, 0],
      ['c-one', 2, 1],
      ['c-two', 1, 0],
    ]);
    // An abandoned claim (its lease expired) counts as pending again.
    await sql`UPDATE review_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = ${ids[2]}`.execute(
      t.db,
    );
    expect((await as(reviewer).queues()).find((c) => c.queue === 'c-one')).toMatchObject({ pending: 3, claimed: 0 });
  });
});

describe('claim order', () => {
  it('highest priority first, then the soonest due (none last), then the oldest', async () => {
    const reviewer = await person('o-reviewer', 'reviewer', ['o-queue']);
    const [a, b, c, d, e1, f] = await seed([
      { queue: 'o-queue', priority: 0, ageMinutes: 60 },
      { queue: 'o-queue', priority: 5, ageMinutes: 10 },
      { queue: 'o-queue', priority: 5, dueInMinutes: 60, ageMinutes: 5 },
      { queue: 'o-queue', priority: 5, dueInMinutes: 30, ageMinutes: 1 },
      { queue: 'o-queue', priority: 0, dueInMinutes: 10, ageMinutes: 2 },
      { queue: 'o-queue', priority: 0, ageMinutes: 30 },
    ]);
    const order: (string | undefined)[] = [];
    for (;;) {
      const task = await as(reviewer).claimNext({});
      if (!task) break;
      order.push(task.id);
      await finishTask(t.db, task.id);
    }
    expect(order).toEqual([d, c, b, e1, a, f]);
  });

  it('a reviewer holding a task gets the same one back, claimed once', async () => {
    const reviewer = await person('h-reviewer', 'reviewer', ['h-queue']);
    const [first] = await seed([{ queue: 'h-queue', priority: 1 }, { queue: 'h-queue' }]);
    expect((await as(reviewer).claimNext({}))?.id).toBe(first);
    expect((await as(reviewer).claimNext({ queue: 'h-queue' }))?.id).toBe(first);
    expect((await taskEvents(first as string)).map((x) => x.action)).toEqual(['task.claimed']);
  });
});

describe('skip', () => {
  it('a skipped task goes to the next reviewer at once, and back to its skipper only after the cooldown', async () => {
    const anna = await person('s-anna', 'reviewer', ['s-queue']);
    const ben = await person('s-ben', 'reviewer', ['s-queue']);
    const [top, next] = await seed([
      { queue: 's-queue', priority: 9 },
      { queue: 's-queue', priority: 1 },
    ]);
    expect((await as(anna).claimNext({}))?.id).toBe(top);
    expect(await as(anna).skip({ taskId: top as string })).toEqual({ ok: true });
    expect(await taskRow(top as string)).toMatchObject({ status: 'pending', assignee_id: null, claimed_at: null });
    // Anna is offered the next one, not the task she skipped, though it ranks higher.
    expect((await as(anna).claimNext({}))?.id).toBe(next);
    await finishTask(t.db, next as string);
    expect(await as(anna).claimNext({})).toBeNull();
    // Ben gets it at once.
    expect((await as(ben).claimNext({}))?.id).toBe(top);
    await as(ben).release({ taskId: top as string });
    // 31 minutes later (the cooldown is 30), Anna may have it again.
    await sql`UPDATE task_skips SET skipped_at = now() - interval '31 minutes' WHERE task_id = ${top}`.execute(t.db);
    expect((await as(anna).claimNext({}))?.id).toBe(top);
    expect(await taskEvents(top as string)).toEqual([
      { action: 'task.claimed', actor: anna.id, data: { taskId: top, queue: 's-queue', leaseMinutes: 5 } },
      { action: 'task.skipped', actor: anna.id, data: { taskId: top, queue: 's-queue' } },
      { action: 'task.claimed', actor: ben.id, data: { taskId: top, queue: 's-queue', leaseMinutes: 5 } },
      { action: 'task.released', actor: ben.id, data: { taskId: top } },
      { action: 'task.claimed', actor: anna.id, data: { taskId: top, queue: 's-queue', leaseMinutes: 5 } },
    ]);
    // Skipped again, it is kept from her for another 30 minutes.
    await as(anna).skip({ taskId: top as string });
    expect(await as(anna).claimNext({})).toBeNull();
  });

  it('only the holder may skip, release or renew a task', async () => {
    const holder = await person('x-holder', 'reviewer', ['x-queue']);
    const other = await person('x-other', 'reviewer', ['x-queue']);
    const [task] = await seed([{ queue: 'x-queue' }]);
    const notHeld = {
      code: 'CONFLICT',
      message: expect.stringMatching(/^You do not hold this task, so you cannot (skip|release|renew|escalate) it/),
    };
    await as(holder).claimNext({});
    expect(await refusal(as(other).skip({ taskId: task as string }))).toEqual(notHeld);
    expect(await refusal(as(other).release({ taskId: task as string }))).toEqual(notHeld);
    expect(await refusal(as(other).heartbeat({ taskId: task as string }))).toEqual(notHeld);
    expect(await refusal(as(other).escalate({ taskId: task as string }))).toEqual(notHeld);
    expect(await taskRow(task as string)).toMatchObject({ status: 'claimed', assignee_id: holder.id });
    expect(
      await t.db
        .selectFrom('task_skips')
        .selectAll()
        .where('task_id', '=', task as string)
        .execute(),
    ).toEqual([]);
  });
});

describe('lease', () => {
  it('an abandoned task (its lease expired) is claimable again; its old holder can no longer renew it', async () => {
    const gone = await person('l-gone', 'reviewer', ['l-queue']);
    const next = await person('l-next', 'reviewer', ['l-queue']);
    const [task] = await seed([{ queue: 'l-queue' }]);
    expect((await as(gone).claimNext({}))?.id).toBe(task);
    expect(await as(next).claimNext({})).toBeNull();
    await sql`UPDATE review_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = ${task}`.execute(t.db);
    expect((await as(next).claimNext({}))?.id).toBe(task);
    expect((await taskEvents(task as string))[1]).toEqual({
      action: 'task.claimed',
      actor: next.id,
      data: { taskId: task, queue: 'l-queue', leaseMinutes: 5, leaseExpiredFrom: gone.id },
    });
    expect(((await refusal(as(gone).heartbeat({ taskId: task as string }))) as { code: string }).code).toBe('CONFLICT');
    expect(((await refusal(as(gone).get({ taskId: task as string }))) as { code: string }).code).toBe('FORBIDDEN');
  });

  it('a heartbeat renews the lease for 5 minutes from now, also once it ran out while nobody took the task', async () => {
    const reviewer = await person('b-reviewer', 'reviewer', ['b-queue']);
    const [task] = await seed([{ queue: 'b-queue' }]);
    await as(reviewer).claimNext({});
    const leaseLeft = async () => {
      const r = await sql<{ seconds: number }>`
        SELECT extract(epoch FROM lease_expires_at - now())::float8 AS seconds FROM review_tasks WHERE id = ${task}`.execute(
        t.db,
      );
      return r.rows[0]?.seconds as number;
    };
    for (const left of ['10 seconds', '-1 minute']) {
      await sql`UPDATE review_tasks SET lease_expires_at = now() + ${left}::interval WHERE id = ${task}`.execute(t.db);
      const beat = await as(reviewer).heartbeat({ taskId: task as string });
      const row = await t.db
        .selectFrom('review_tasks')
        .select('lease_expires_at')
        .where('id', '=', task as string)
        .executeTakeFirstOrThrow();
      expect(beat.leaseExpiresAt).toBe((row.lease_expires_at as Date).toISOString());
      // 5 minutes from the heartbeat's transaction, read back a moment later.
      expect(await leaseLeft()).toBeGreaterThan(290);
      expect(await leaseLeft()).toBeLessThanOrEqual(300);
    }
    await finishTask(t.db, task as string);
    expect(await refusal(as(reviewer).heartbeat({ taskId: task as string }))).toEqual({
      code: 'CONFLICT',
      message: 'This task is already answered; you cannot renew it',
    });
  });

  it('a released task cannot be renewed; an unknown one is not found', async () => {
    const reviewer = await person('r-reviewer', 'reviewer', ['r-queue']);
    const [task] = await seed([{ queue: 'r-queue' }]);
    await as(reviewer).claimNext({});
    await as(reviewer).release({ taskId: task as string });
    expect(((await refusal(as(reviewer).heartbeat({ taskId: task as string }))) as { code: string }).code).toBe(
      'CONFLICT',
    );
    expect((await refusal(as(reviewer).heartbeat({ taskId: 'nope' }))) as { code: string }).toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(
      ((await refusal(as(reviewer).heartbeat({ taskId: '00000000-0000-4000-8000-000000000001' }))) as { code: string })
        .code,
    ).toBe('NOT_FOUND');
  });
});

describe('four-eyes', () => {
  it('nobody gets a second slot of a review point they hold', async () => {
    const first = await person('f-first', 'reviewer', ['f-one', 'f-two']);
    const second = await person('f-second', 'reviewer', ['f-two']);
    const [slot1, slot2] = await seed([
      { queue: 'f-one', item: 'x', slot: 1, reviewersRequired: 2 },
      { queue: 'f-two', item: 'x', slot: 2, reviewersRequired: 2 },
    ]);
    expect((await as(first).claimNext({ queue: 'f-one' }))?.id).toBe(slot1);
    expect(await as(first).claimNext({ queue: 'f-two' })).toBeNull();
    // Their claim on slot 1 expired, but it is still theirs to answer: slot 2 stays closed to them.
    await sql`UPDATE review_tasks SET lease_expires_at = now() - interval '1 second' WHERE id = ${slot1}`.execute(t.db);
    expect(await as(first).claimNext({ queue: 'f-two' })).toBeNull();
    expect((await as(second).claimNext({}))?.id).toBe(slot2);
  });

  it('nor one of a review point they answered, however the task row reads now', async () => {
    const answered = await person('g-answered', 'reviewer', ['g-queue']);
    const fresh = await person('g-fresh', 'reviewer', ['g-queue']);
    const [slot1, slot2, slot3] = await seed([
      { queue: 'g-queue', item: 'y', slot: 1, reviewersRequired: 3 },
      { queue: 'g-queue', item: 'y', slot: 2, reviewersRequired: 3 },
      { queue: 'g-queue', item: 'y', slot: 3, reviewersRequired: 3 },
    ]);
    expect((await as(answered).claimNext({}))?.id).toBe(slot1);
    await finishTask(t.db, slot1 as string);
    expect(await as(answered).claimNext({})).toBeNull();
    // The verdict counts on its own, even where the task row no longer names its reviewer.
    await sql`UPDATE review_tasks SET assignee_id = NULL WHERE id = ${slot1}`.execute(t.db);
    expect(await as(answered).claimNext({})).toBeNull();
    const taken = await as(fresh).claimNext({});
    expect([slot2, slot3]).toContain(taken?.id);
  });

  it('claimed slots of another visit or item do not count', async () => {
    const reviewer = await person('v-reviewer', 'reviewer', ['v-queue']);
    const [a, b] = await seed([{ queue: 'v-queue' }, { queue: 'v-queue' }]);
    expect((await as(reviewer).claimNext({}))?.id).toBe(a);
    await finishTask(t.db, a as string);
    expect((await as(reviewer).claimNext({}))?.id).toBe(b);
  });
});

describe('adjudication', () => {
  it('is claimed only by leads and admins, and counted only for them', async () => {
    const reviewer = await person('j-reviewer', 'reviewer', ['j-queue']);
    const lead = await person('j-lead', 'lead', ['j-queue']);
    const admin = await person('j-admin', 'admin');
    const [adjudication, second] = await seed([
      { queue: 'j-queue', kind: 'adjudication', priority: 10 },
      { queue: 'j-queue', kind: 'adjudication', priority: 10 },
    ]);
    expect(await as(reviewer).claimNext({})).toBeNull();
    expect((await as(reviewer).queues()).find((c) => c.queue === 'j-queue')).toMatchObject({ pending: 0 });
    expect((await as(lead).queues()).find((c) => c.queue === 'j-queue')).toMatchObject({ pending: 2 });
    expect((await as(lead).claimNext({}))?.id).toBe(adjudication);
    expect((await as(admin).claimNext({ queue: 'j-queue' }))?.id).toBe(second);
  });
});

describe('escalate', () => {
  it('hands a held task up to its escalation queue, 10 higher, audited with the reviewer and reason', async () => {
    const reviewer = await person('e-reviewer', 'reviewer', ['e-queue']);
    const senior = await person('e-senior', 'reviewer', ['e-senior']);
    const [task] = await seed([{ queue: 'e-queue', priority: 3, escalateTo: 'e-senior' }]);
    await as(reviewer).claimNext({});
    expect(await as(reviewer).escalate({ taskId: task as string, reason: '  over my refund limit ' })).toEqual({
      ok: true,
      queue: 'e-senior',
    });
    const row = await taskRow(task as string);
    expect(row).toMatchObject({ status: 'pending', queue: 'e-senior', priority: 13, assignee_id: null });
    expect(row.escalated_at).toBeInstanceOf(Date);
    expect((await taskEvents(task as string))[1]).toEqual({
      action: 'task.escalated',
      actor: reviewer.id,
      data: {
        taskId: task,
        from: 'e-queue',
        to: 'e-senior',
        dueAt: null,
        unclaimedFrom: reviewer.id,
        reason: 'over my refund limit',
      },
    });
    // It left the reviewer's queues: they can neither claim nor read it; the escalation queue's member can.
    expect(await as(reviewer).claimNext({})).toBeNull();
    expect(((await refusal(as(reviewer).get({ taskId: task as string }))) as { code: string }).code).toBe('FORBIDDEN');
    expect((await as(senior).claimNext({}))?.id).toBe(task);
    // Already in its escalation queue: there is nowhere higher to hand it.
    expect(await refusal(as(senior).escalate({ taskId: task as string }))).toEqual({
      code: 'CONFLICT',
      message: 'This task is already in its escalation queue (e-senior); release it or ask your lead to reassign it',
    });
    expect(
      ((await refusal(as(senior).escalate({ taskId: task as string, reason: 'x'.repeat(2001) }))) as { code: string })
        .code,
    ).toBe('BAD_REQUEST');
  });
});
