// Multi-reviewer and four-eyes (issue 11 point 3), through the engine and the API on real
// PostgreSQL: a risk rule asks for two reviewers, so the item gets two tasks; it waits until both
// verdicts are in; agreeing verdicts resume it, disagreeing ones create one adjudication task whose
// lead answer is final; the same person never gives two verdicts at one review point; every verdict
// is a label, one per point final. Expected values written by hand.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { defineWorkflow } from '@signoff/core';
import type { ReviewTask } from '@signoff/db';
import { releaseTask } from '@signoff/engine';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { holdTask, routedItem, seedIntentExamples, submitAs } from '../support/review-points';

const LABELS = ['refund', 'other', 'fraud'] as const;
const flow = defineWorkflow({
  name: 'four-eyes-refunds',
  input: z.object({ text: z.string(), amount: z.number() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: 'four-eyes-intent', instructions: 'Refund request, fraud, or other?' },
      labels: LABELS,
      text: (ctx) => ctx.input.text,
      policy: {
        autoAcceptAt: 0.5,
        queue: 'refunds',
        adjudicationQueue: 'refund-leads',
        risks: [
          { name: 'everything', reason: 'Every refund is looked at', when: () => true },
          { name: 'large', reason: 'Refund above 100', when: (ctx) => ctx.input.amount > 100, reviewers: 2 },
        ],
      },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded', output: (ctx) => ({ label: ctx.classify.label }) },
  },
});

let t: TestDatabase;
let e: TestEngine;
let ann: SessionUser;
let bob: SessionUser;
let cat: SessionUser;
let lee: SessionUser;
let max: SessionUser;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedIntentExamples(t.db, 'four-eyes-intent');
  e = await startTestEngine(t, [flow]);
  const user = (email: string, name: string, role: 'reviewer' | 'lead') =>
    upsertUser(t.db, { email, name, role, password: 'correct horse battery' });
  ann = await user('ann@four-eyes.test', 'Ann', 'reviewer');
  bob = await user('bob@four-eyes.test', 'Bob', 'reviewer');
  cat = await user('cat@four-eyes.test', 'Cat', 'reviewer');
  lee = await user('lee@four-eyes.test', 'Lee', 'lead');
  max = await user('max@four-eyes.test', 'Max', 'lead');
  for (const u of [ann, bob, cat]) await joinQueues(t.db, u.id, ['refunds']);
  for (const u of [lee, max]) await joinQueues(t.db, u.id, ['refunds', 'refund-leads']);
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

const routed = (text: string, amount: number) => routedItem(t, e, 'four-eyes-refunds', { text, amount });
const hold = (task: ReviewTask, userId: string) => holdTask(t, e, task.id, userId);
const submit = (userId: string, taskId: string, verdict: 'confirm' | 'correct' | 'answer', label?: string) =>
  submitAs(t, e, userId, taskId, verdict, label);

const item = (id: string) =>
  t.db
    .selectFrom('items')
    .select(['status', 'current_state', 'context'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

const labelsOf = (itemId: string) =>
  t.db
    .selectFrom('labels')
    .select(['human_label', 'reviewer_id', 'final', 'adjudicated', 'review_id'])
    .where('item_id', '=', itemId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('creating tasks', () => {
  it('a risk rule asking for two reviewers gives the item two tasks in one queue; without it, one', async () => {
    const large = await routed('refund the charge of my order', 250);
    expect(large.tasks.map((x) => [x.kind, x.queue, x.slot, x.reviewers_required, x.status])).toEqual([
      ['decision', 'refunds', 1, 2, 'pending'],
      ['decision', 'refunds', 2, 2, 'pending'],
    ]);
    expect(large.tasks[0]?.decision_id).toBe(large.tasks[1]?.decision_id);
    const small = await routed('refund the charge of my order', 20);
    expect(small.tasks.map((x) => [x.kind, x.slot, x.reviewers_required])).toEqual([['decision', 1, 1]]);
    // A single review resumes the item at once.
    const task = small.tasks[0] as ReviewTask;
    await hold(task, ann.id);
    expect(await submit(ann.id, task.id, 'answer', 'refund')).not.toHaveProperty('awaitingVerdicts');
    expect((await e.settle(small.itemId)).context.classify).toMatchObject({ label: 'refund', decidedBy: 'human' });
    expect(await labelsOf(small.itemId)).toMatchObject([{ human_label: 'refund', final: true, adjudicated: false }]);
  });
});

describe('two agreeing verdicts', () => {
  it('the item waits for the second, refuses the same person on the other slot, and resumes when a second person agrees', async () => {
    const { itemId, tasks } = await routed('I want a refund for order 7', 300);
    const [one, two] = tasks as [ReviewTask, ReviewTask];
    await hold(one, ann.id);
    expect(await submit(ann.id, one.id, 'answer', 'refund')).toMatchObject({ awaitingVerdicts: 1, label: 'refund' });
    expect(await item(itemId)).toMatchObject({ status: 'waiting', current_state: 'classify' });
    expect(await labelsOf(itemId)).toMatchObject([{ human_label: 'refund', reviewer_id: ann.id, final: false }]);

    // Ann somehow holds the second slot too: the server refuses her second verdict.
    await hold(two, ann.id);
    const refused = await refusal(submit(ann.id, two.id, 'answer', 'refund'));
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
    expect(refused.message).toMatch(/already gave a verdict on this item at "classify"/);
    expect(await item(itemId)).toMatchObject({ status: 'waiting' });
    await t.db.transaction().execute((trx) => releaseTask(trx, e, ann, two.id));

    await hold(
      await t.db.selectFrom('review_tasks').selectAll().where('id', '=', two.id).executeTakeFirstOrThrow(),
      bob.id,
    );
    const r = await submit(bob.id, two.id, 'answer', 'refund');
    expect(r).not.toHaveProperty('awaitingVerdicts');
    expect(r).not.toHaveProperty('adjudication');
    const done = await e.settle(itemId);
    expect(done.status).toBe('succeeded');
    expect(done.context.classify).toMatchObject({ label: 'refund', decidedBy: 'human', reviewers: 2 });
    expect(await labelsOf(itemId)).toMatchObject([
      { human_label: 'refund', reviewer_id: ann.id, final: false, adjudicated: false },
      { human_label: 'refund', reviewer_id: bob.id, final: true, adjudicated: false },
    ]);
    const actions = (await e.actions(itemId)).filter((a) => a.startsWith('review.'));
    expect(actions).toEqual([
      'review.requested:classify',
      'review.requested:classify',
      'review.submitted',
      'review.submitted',
      'review.agreed:classify',
    ]);
    const submitted = await t.db
      .selectFrom('audit_events')
      .select('data')
      .where('stream', '=', itemId)
      .where('action', '=', 'review.submitted')
      .orderBy('seq')
      .execute();
    expect(submitted.map((s) => [s.data.slot, s.data.reviewersRequired])).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it('two verdicts submitted at the same moment resume the item exactly once', async () => {
    const { itemId, tasks } = await routed('money back for my order please', 400);
    const [one, two] = tasks as [ReviewTask, ReviewTask];
    await hold(one, ann.id);
    await hold(two, bob.id);
    const results = await Promise.all([
      submit(ann.id, one.id, 'answer', 'refund'),
      submit(bob.id, two.id, 'answer', 'refund'),
    ]);
    // One of them came second and saw the other, under the item's lock.
    expect(results.filter((r) => r.awaitingVerdicts === 1)).toHaveLength(1);
    expect((await e.settle(itemId)).status).toBe('succeeded');
    const labels = await labelsOf(itemId);
    expect(labels.filter((l) => l.final)).toHaveLength(1);
    expect((await e.actions(itemId)).filter((a) => a === 'state.completed:classify')).toHaveLength(1);
  });
});

describe('disagreement and adjudication', () => {
  it('disagreeing verdicts create one adjudication task; only a lead who gave no verdict settles it, and that is final', async () => {
    const { itemId, tasks } = await routed('refund the charge, a stolen card was used', 500);
    const [one, two] = tasks as [ReviewTask, ReviewTask];
    await hold(one, ann.id);
    await hold(two, bob.id);
    await submit(ann.id, one.id, 'answer', 'refund');
    expect(await submit(bob.id, two.id, 'answer', 'fraud')).toMatchObject({ adjudication: true });
    expect(await item(itemId)).toMatchObject({ status: 'waiting', current_state: 'classify' });
    const adjudications = await t.db
      .selectFrom('review_tasks')
      .selectAll()
      .where('item_id', '=', itemId)
      .where('kind', '=', 'adjudication')
      .execute();
    expect(adjudications).toHaveLength(1);
    const adj = adjudications[0] as ReviewTask;
    expect(adj).toMatchObject({
      queue: 'refund-leads',
      status: 'pending',
      labels: [...LABELS],
      state: 'classify',
      visit: 1,
    });
    expect(adj.reasons).toEqual([
      {
        code: 'reviewers_disagree',
        message: 'The 2 independent reviewers disagree: 1 said "refund", 1 said "fraud". Your answer is final.',
      },
    ]);

    // A reviewer holding it cannot answer it.
    await hold(adj, cat.id);
    const notLead = await refusal(submit(cat.id, adj.id, 'answer', 'fraud'));
    expect(notLead).toMatchObject({ code: 'FORBIDDEN' });
    expect(notLead.message).toMatch(/Only a lead settles a disagreement/);
    await t.db.transaction().execute((trx) => releaseTask(trx, e, cat, adj.id));

    await hold(adj, lee.id);
    const wrong = await refusal(submit(lee.id, adj.id, 'confirm', 'other'));
    expect(wrong).toMatchObject({ code: 'BAD_INPUT' });
    expect(await submit(lee.id, adj.id, 'confirm', 'fraud')).toMatchObject({ label: 'fraud' });
    const done = await e.settle(itemId);
    expect(done.context.classify).toMatchObject({
      label: 'fraud',
      decidedBy: 'human',
      reviewers: 2,
      adjudicated: true,
    });
    expect(done.context.done).toEqual({ label: 'fraud' });
    expect(await labelsOf(itemId)).toMatchObject([
      { human_label: 'refund', reviewer_id: ann.id, final: false, adjudicated: false },
      { human_label: 'fraud', reviewer_id: bob.id, final: false, adjudicated: false },
      { human_label: 'fraud', reviewer_id: lee.id, final: true, adjudicated: true },
    ]);
    const actions = (await e.actions(itemId)).filter((a) => a.startsWith('review.'));
    expect(actions).toEqual([
      'review.requested:classify',
      'review.requested:classify',
      'review.submitted',
      'review.submitted',
      'review.disagreement:classify',
      'review.submitted',
      'review.adjudicated:classify',
    ]);
  });
});

describe('the API', () => {
  const caller = (user: SessionUser) =>
    createCallerFactory(appRouter)({
      db: t.db,
      boss: e.boss,
      registry: e.registry,
      user,
      token: 't',
    } as unknown as Context);

  it('tasks.submit refuses a second verdict by the same user at one review point, with the reason', async () => {
    const { itemId, tasks } = await routed('I want a refund, it broke', 900);
    const [one, two] = tasks as [ReviewTask, ReviewTask];
    await hold(one, max.id);
    expect(await caller(max).tasks.submit({ taskId: one.id, verdict: 'answer', label: 'refund' })).toMatchObject({
      awaitingVerdicts: 1,
      itemId,
    });
    await hold(two, max.id);
    await expect(
      caller(max).tasks.submit({ taskId: two.id, verdict: 'answer', label: 'refund' }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/its 2 reviews must come from different people/),
    });
    expect(await item(itemId)).toMatchObject({ status: 'waiting' });
    expect(await labelsOf(itemId)).toHaveLength(1);
  });
});
