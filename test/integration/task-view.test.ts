// The reviewer's task view (issue 11 point 4) through the API on real PostgreSQL: the context of
// earlier states, the item's history, raw and calibrated confidence, why it was routed, the
// certificate in force, the lease and "review k of N"; blind to the other slots of a four-eyes
// point, while the lead's adjudication task shows every verdict. Expected values written by hand.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { defineWorkflow } from '@signoff/core';
import type { ReviewTask } from '@signoff/db';
import { applyTransitions, LEASE_MINUTES } from '@signoff/engine';
import { type SessionUser, SYSTEM, upsertUser } from '@signoff/governance';
import { applyCertificate } from '@signoff/trust';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { seedIntentExamples } from '../support/review-points';

const LABELS = ['refund', 'other', 'fraud'] as const;
const flow = defineWorkflow({
  name: 'task-view-refunds',
  input: z.object({ text: z.string(), amount: z.number() }),
  start: 'lookup',
  states: {
    // An earlier state whose output the reviewer needs: the customer record it looked up.
    lookup: { kind: 'task', run: () => ({ customer: 'C-17', orders: 3 }), next: 'classify' },
    classify: {
      kind: 'decide',
      agent: { name: 'task-view-intent', instructions: 'Refund request, fraud, or other?' },
      labels: LABELS,
      text: (ctx) => ctx.input.text,
      policy: {
        autoAccept: { maxError: 0.05, confidence: 0.95 },
        queue: 'view-refunds',
        adjudicationQueue: 'view-leads',
        risks: [
          { name: 'everything', reason: 'Every refund is looked at', when: () => true },
          { name: 'large', reason: 'Refund above 100', when: (ctx) => ctx.input.amount > 100, reviewers: 2 },
        ],
      },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
let ann: SessionUser;
let bob: SessionUser;
let lee: SessionUser;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedIntentExamples(t.db, 'task-view-intent');
  e = await startTestEngine(t, [flow]);
  const user = (email: string, name: string, role: 'reviewer' | 'lead') =>
    upsertUser(t.db, { email, name, role, password: 'correct horse battery' });
  ann = await user('ann@task-view.test', 'Ann Slotone', 'reviewer');
  bob = await user('bob@task-view.test', 'Bob Slottwo', 'reviewer');
  lee = await user('lee@task-view.test', 'Lee Lead', 'lead');
  for (const u of [ann, bob]) await joinQueues(t.db, u.id, ['view-refunds']);
  await joinQueues(t.db, lee.id, ['view-refunds', 'view-leads']);
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

const caller = (user: SessionUser) =>
  createCallerFactory(appRouter)({
    db: t.db,
    boss: e.boss,
    registry: e.registry,
    user,
    token: 't',
  } as unknown as Context);

async function routed(text: string, amount: number): Promise<{ itemId: string; tasks: ReviewTask[] }> {
  const itemId = await e.submit('task-view-refunds', { text, amount });
  await e.settle(itemId, ['waiting']);
  const tasks = await t.db
    .selectFrom('review_tasks')
    .selectAll()
    .where('item_id', '=', itemId)
    .orderBy('slot')
    .execute();
  return { itemId, tasks };
}

/** Hands a specific task to a person (as a lead's reassignment would), through the transition path. */
async function hold(task: ReviewTask, userId: string): Promise<void> {
  const fresh = await t.db.selectFrom('review_tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
  const [r] = await t.db
    .transaction()
    .execute((trx) =>
      applyTransitions(trx, e, [
        { itemId: task.item_id, outcome: { kind: 'task-claimed', task: fresh, userId, leaseMinutes: LEASE_MINUTES } },
      ]),
    );
  expect(r?.ok).toBe(true);
}

describe('a single-reviewer task', () => {
  it('shows the earlier state output, the history, both confidences, the reasons, the policy in force and the lease', async () => {
    const { itemId, tasks } = await routed('please refund the charge', 40);
    expect(tasks).toHaveLength(1);
    const task = tasks[0] as ReviewTask;
    await hold(task, ann.id);
    const view = await caller(ann).tasks.get({ taskId: task.id });

    expect(view).toMatchObject({
      id: task.id,
      item_id: itemId,
      state: 'classify',
      visit: 1,
      kind: 'decision',
      slot: 1,
      reviewers_required: 1,
      queue: 'view-refunds',
      status: 'claimed',
      assignee_id: ann.id,
      assignee_name: 'Ann Slotone',
      labels: ['refund', 'other', 'fraud'],
      verdicts: [],
    });
    // The context gathered by the earlier state, and its run in the history; the point's own run is the task.
    expect(view.context).toEqual({ lookup: { customer: 'C-17', orders: 3 } });
    expect(view.history.runs.map((r) => [r.state, r.visit, r.kind, r.status, r.output, r.next_state])).toEqual([
      ['lookup', 1, 'task', 'done', { customer: 'C-17', orders: 3 }, 'classify'],
    ]);
    expect(view.history.events.map((ev) => ev.action)).toEqual([
      'item.submitted',
      'state.completed',
      'decision.made',
      'review.requested',
      'task.claimed',
    ]);
    expect(view.history.events.at(-1)).toMatchObject({ actor_type: 'user', actor_name: 'Ann Slotone' });

    // Raw and calibrated confidence with the method, from the decision row itself.
    const d = await t.db
      .selectFrom('decisions')
      .select(['id', 'confidence', 'calibrated_confidence', 'confidence_method', 'label'])
      .where('item_id', '=', itemId)
      .executeTakeFirstOrThrow();
    expect(view.decision).toMatchObject({
      id: d.id,
      label: 'refund',
      confidence: d.confidence,
      calibrated_confidence: d.calibrated_confidence,
      confidence_method: d.confidence_method,
      route: 'review',
      certificate_id: null,
    });
    // Why a person sees it: not certified yet (everything goes to review), and the risk rule.
    expect(view.reasons.map((r) => r.rule ?? r.code)).toContain('everything');
    expect(view.reasons.find((r) => r.rule === 'everything')?.message).toBe('Every refund is looked at');

    // The policy in force for the state: its declared target, not certified yet.
    expect(view.trust).toMatchObject({
      policyVersion: 1,
      status: 'uncertified',
      maxError: 0.05,
      confidence: 0.95,
      certificate: null,
    });

    // The lease runs LEASE_MINUTES from the claim.
    const claimed = view.claimed_at as Date;
    expect((view.lease_expires_at as Date).getTime() - claimed.getTime()).toBe(LEASE_MINUTES * 60_000);
  });

  it('shows the certificate in force once one is applied to the state', async () => {
    const { tasks } = await routed('refund the charge please', 30);
    const task = tasks[0] as ReviewTask;
    const d = await t.db
      .selectFrom('decisions')
      .select(['model_version', 'prompt_version', 'confidence_method', 'agent'])
      .where('id', '=', task.decision_id as string)
      .executeTakeFirstOrThrow();
    const cert = await t.db
      .insertInto('certificates')
      .values({
        workflow_name: 'task-view-refunds',
        state: 'classify',
        agent: d.agent,
        model_version: d.model_version,
        confidence_method: d.confidence_method,
        prompt_version: d.prompt_version,
        max_error: 0.05,
        confidence: 0.95,
        threshold: 7.25,
        labels_used: 120,
        wrong_used: 1,
        upper_bound: 0.0391,
        expected_automation: 0.42,
        evidence: JSON.stringify({ curve: [] }),
        window_from: new Date('2026-01-01T00:00:00Z'),
        window_to: new Date('2026-03-01T00:00:00Z'),
        created_by: JSON.stringify(SYSTEM),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await applyCertificate(t.db, cert.id, SYSTEM);
    await hold(task, bob.id);

    const view = await caller(bob).tasks.get({ taskId: task.id });
    expect(view.trust).toMatchObject({
      policyVersion: 2,
      status: 'certified',
      maxError: 0.05,
      confidence: 0.95,
      certificate: {
        id: cert.id,
        threshold: 7.25,
        labelsUsed: 120,
        wrongUsed: 1,
        upperBound: 0.0391,
        expectedAutomation: 0.42,
        modelVersion: d.model_version,
      },
    });
  });
});

describe('a four-eyes point', () => {
  it('slot 2 sees nothing of slot 1’s verdict; the lead’s adjudication task shows both verdicts', async () => {
    const { itemId, tasks } = await routed('refund the charge, a stolen card was used', 700);
    const [one, two] = tasks as [ReviewTask, ReviewTask];
    expect([one.slot, one.reviewers_required, two.slot, two.reviewers_required]).toEqual([1, 2, 2, 2]);

    await hold(one, ann.id);
    const slotOne = await caller(ann).tasks.get({ taskId: one.id });
    expect([slotOne.slot, slotOne.reviewers_required]).toEqual([1, 2]);
    const annSays = await caller(ann).tasks.submit({
      taskId: one.id,
      verdict: 'answer',
      label: 'fraud',
      reason: 'ANN-SECRET: the card was reported stolen',
    });
    expect(annSays).toMatchObject({ awaitingVerdicts: 1, label: 'fraud' });

    await hold(two, bob.id);
    const view = await caller(bob).tasks.get({ taskId: two.id });
    expect(view).toMatchObject({ slot: 2, reviewers_required: 2, kind: 'decision', status: 'claimed', verdicts: [] });
    // Blind: nothing in the whole view names Ann, her verdict, its reason or its rows.
    const text = JSON.stringify(view);
    for (const secret of ['ANN-SECRET', ann.id, 'Ann Slotone', annSays.reviewId, annSays.labelId as string])
      expect(text).not.toContain(secret);
    // Her label appears only as one of the task's choices (and the AI's answer is not hers).
    const { labels: _choices, decision: _ai, ...rest } = view;
    expect(view.decision?.label).toBe('refund');
    expect(JSON.stringify(rest)).not.toContain('"fraud"');
    expect(view.history.events.map((ev) => ev.action)).toEqual([
      'item.submitted',
      'state.completed',
      'decision.made',
      'review.requested',
      'review.requested',
      'task.claimed',
    ]);
    expect(view.history.events.at(-1)).toMatchObject({ actor_name: 'Bob Slottwo' });

    // Bob disagrees: an adjudication task for a lead, whose view shows both verdicts.
    const bobSays = await caller(bob).tasks.submit({ taskId: two.id, verdict: 'confirm' });
    expect(bobSays).toMatchObject({ adjudication: true, label: 'refund' });
    const adj = await t.db
      .selectFrom('review_tasks')
      .selectAll()
      .where('item_id', '=', itemId)
      .where('kind', '=', 'adjudication')
      .executeTakeFirstOrThrow();
    await hold(adj, lee.id);
    const lead = await caller(lee).tasks.get({ taskId: adj.id });
    expect(lead).toMatchObject({ kind: 'adjudication', queue: 'view-leads', slot: 1, reviewers_required: 1 });
    expect(lead.verdicts).toEqual([
      {
        taskId: one.id,
        slot: 1,
        reviewerId: ann.id,
        reviewerName: 'Ann Slotone',
        verdict: 'answer',
        label: 'fraud',
        reason: 'ANN-SECRET: the card was reported stolen',
        createdAt: expect.any(Date),
      },
      {
        taskId: two.id,
        slot: 2,
        reviewerId: bob.id,
        reviewerName: 'Bob Slottwo',
        verdict: 'confirm',
        label: 'refund',
        reason: null,
        createdAt: expect.any(Date),
      },
    ]);
    // The lead reads the whole trail, the disagreement included.
    expect(lead.history.events.map((ev) => ev.action)).toContain('review.disagreement');

    // Bob's answered slot stays blind after the disagreement too.
    const after = await caller(bob).tasks.get({ taskId: two.id });
    expect(after.status).toBe('done');
    expect(JSON.stringify(after)).not.toContain('ANN-SECRET');
    expect(after.history.events.map((ev) => ev.action)).not.toContain('review.disagreement');
  });
});
