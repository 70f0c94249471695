// Escalation of overdue review tasks and of stuck items, driven step by step (no background workers).
import { createLocalProvider } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import { claimNextTask, escalateOverdue, executeStep, STEP_QUEUE, submitVerdict } from '@signoff/engine';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const wf = defineWorkflow({
  name: 'esc-flow',
  input: z.object({ n: z.number() }),
  start: 'work',
  states: {
    work: { kind: 'task', run: (ctx) => ({ doubled: ctx.input.n * 2 }), next: 'approve' },
    approve: {
      kind: 'review',
      queue: 'approvals',
      labels: ['ok', 'no'],
      instructions: 'Approve?',
      dueInMinutes: 60,
      escalateTo: 'leads',
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
let operator: SessionUser;
const deps = () => ({ db: t.db, boss: e.boss, registry: e.registry, provider: createLocalProvider() });

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [wf], { workers: false });
  operator = await upsertUser(t.db, { email: 'op@esc.test', name: 'Olu Operator', role: 'admin', password: 'x' });
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

describe('escalation', () => {
  it('moves a review task past its due time to its escalation queue, audited, and only once', async () => {
    const id = await e.submit('esc-flow', { n: 2 });
    await executeStep(deps(), { itemId: id, state: 'work', visit: 1 });
    await executeStep(deps(), { itemId: id, state: 'approve', visit: 1 });
    const task = await t.db.selectFrom('review_tasks').selectAll().where('item_id', '=', id).executeTakeFirstOrThrow();
    expect(task).toMatchObject({ queue: 'approvals', kind: 'review', escalated_at: null });
    // Claimed by someone who never answers.
    await t.db.transaction().execute((trx) => claimNextTask(trx, e, operator, 'approvals'));
    const later = new Date(Date.now() + 61 * 60_000);
    expect(await t.db.transaction().execute((trx) => escalateOverdue(trx, e, { now: later }))).toMatchObject({
      tasks: 1,
    });
    const moved = await t.db.selectFrom('review_tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
    expect(moved).toMatchObject({ queue: 'leads', status: 'pending', assignee_id: null });
    expect(moved.priority).toBeGreaterThan(task.priority);
    const audit = await t.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('stream', '=', id)
      .where('action', '=', 'task.escalated')
      .execute();
    expect(audit[0]?.data).toMatchObject({ from: 'approvals', to: 'leads', unclaimedFrom: operator.id });
    expect(await t.db.transaction().execute((trx) => escalateOverdue(trx, e, { now: later }))).toMatchObject({
      tasks: 0,
    });
  });

  it('turns an item without progress into an operator task; retry runs its step again as a new attempt', async () => {
    const id = await e.submit('esc-flow', { n: 5 });
    await sql`UPDATE items SET updated_at = now() - interval '2 hours' WHERE id = ${id}`.execute(t.db);
    expect(await t.db.transaction().execute((trx) => escalateOverdue(trx, e))).toMatchObject({ items: 1 });
    expect(await t.db.transaction().execute((trx) => escalateOverdue(trx, e))).toMatchObject({ items: 0 });
    const stuck = await t.db.transaction().execute((trx) => claimNextTask(trx, e, operator, 'escalations'));
    expect(stuck).toMatchObject({ item_id: id, kind: 'stuck', state: 'work' });
    await t.db.transaction().execute((trx) =>
      submitVerdict(trx, e, operator.id, {
        taskId: stuck?.id as string,
        verdict: 'answer',
        label: 'retry',
        reason: 'job lost in an outage',
      }),
    );
    // The old attempt's job is stale now; the new attempt runs.
    expect(await executeStep(deps(), { itemId: id, state: 'work', visit: 1, attempt: 1 })).toBe('stale');
    const jobs = await e.boss.findJobs(STEP_QUEUE, { data: { itemId: id, attempt: 2 } });
    expect(jobs).toHaveLength(1);
    expect(await executeStep(deps(), { itemId: id, state: 'work', visit: 1, attempt: 2 })).toBe('committed');
    const actions = (
      await t.db.selectFrom('audit_events').select('action').where('stream', '=', id).orderBy('seq').execute()
    ).map((r) => r.action);
    expect(actions).toEqual([
      'item.submitted',
      'item.stuck',
      'task.claimed',
      'review.submitted',
      'state.retry_scheduled',
      'state.completed',
    ]);
  });

  it('an operator can fail a stuck item with a reason', async () => {
    const id = await e.submit('esc-flow', { n: 7 });
    await sql`UPDATE items SET updated_at = now() - interval '2 hours' WHERE id = ${id}`.execute(t.db);
    await t.db.transaction().execute((trx) => escalateOverdue(trx, e));
    const stuck = await t.db.transaction().execute((trx) => claimNextTask(trx, e, operator, 'escalations'));
    await t.db.transaction().execute((trx) =>
      submitVerdict(trx, e, operator.id, {
        taskId: stuck?.id as string,
        verdict: 'answer',
        label: 'fail',
        reason: 'duplicate order',
      }),
    );
    const item = await t.db
      .selectFrom('items')
      .select(['status', 'error'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(item).toMatchObject({ status: 'failed', error: { message: 'Failed by an operator: duplicate order' } });
  });
});
