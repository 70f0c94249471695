// The planner without a database: multi-reviewer review points (four-eyes). N tasks at once, each
// verdict recorded blind, the item held until the Nth, agreement resumes it, disagreement creates
// one adjudication task whose answer is final. Expected rows written out by hand.
import { AppError, defineWorkflow } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Outcome, PointVerdict } from './plan-types';
import { planTransition } from './planner';
import { aiDecision, decision, ITEM, NOW, snapshot, task, testEnv } from './planner.fixtures';

const ANN = '00000000-0000-4000-8000-0000000000a1';
const BOB = '00000000-0000-4000-8000-0000000000b0';
const LEAD = '00000000-0000-4000-8000-0000000000c0';

const flow = defineWorkflow({
  name: 'four-eyes',
  input: z.object({ amount: z.number() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: 'refund-classifier', instructions: 'Classify.' },
      labels: ['refund', 'deny', 'other'],
      text: (ctx) => String(ctx.input.amount),
      policy: { autoAcceptAt: 0.9, queue: 'refunds', reviewers: 2, adjudicationQueue: 'leads', dueInMinutes: 30 },
      next: 'approve',
    },
    approve: {
      kind: 'review',
      queue: 'approvals',
      labels: ['yes', 'no'],
      instructions: 'Approve?',
      reviewers: 3,
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const atClassify = snapshot({
  workflow_name: 'four-eyes',
  status: 'waiting',
  current_state: 'classify',
  visits: { classify: 1 },
});
const atApprove = snapshot({
  workflow_name: 'four-eyes',
  status: 'waiting',
  current_state: 'approve',
  visits: { classify: 1, approve: 1 },
});

const plan = (outcome: Outcome, item = atClassify, pointVerdicts: PointVerdict[] = []) =>
  planTransition({ item, definition: flow, outcome, env: testEnv(), aux: { pointVerdicts } });

/** Slot `slot` of the classify point, claimed by `userId`. */
const slotTask = (slot: number, userId: string, over: Parameters<typeof task>[0] = {}) =>
  task({
    id: `task-${slot}`,
    state: 'classify',
    kind: 'decision',
    decision_id: 'decision-1',
    queue: 'refunds',
    labels: ['refund', 'deny', 'other'],
    instructions: 'Classify.',
    assignee_id: userId,
    slot,
    reviewers_required: 2,
    ...over,
  });

const given = (slot: number, reviewerId: string, label: string, kind = 'decision'): PointVerdict => ({
  taskId: `task-${slot}`,
  kind,
  slot,
  reviewerId,
  verdict: label === 'refund' ? 'confirm' : 'correct',
  label,
  reason: null,
});

const verdict = (
  t: ReturnType<typeof task>,
  userId: string,
  label: string,
  v: 'confirm' | 'correct' | 'answer' = 'correct',
): Outcome => ({
  kind: 'verdict',
  task: t,
  decision: t.decision_id ? aiDecision : undefined,
  verdict: v,
  label,
  reason: v === 'correct' ? 'not a refund' : null,
  userId,
});

function thrown(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('creating a multi-reviewer review point', () => {
  const job = { itemId: ITEM, state: 'classify', visit: 1, attempt: 1, kind: 'run' as const };
  const request = (kind: 'decision' | 'qa', reviewers: number) => ({
    kind,
    queue: 'refunds',
    labels: ['refund', 'deny', 'other'],
    reasons: [],
    instructions: 'Classify.',
    summary: null,
    dueInMinutes: 30,
    escalateTo: undefined,
    reviewers,
  });
  const running = snapshot({ workflow_name: 'four-eyes', current_state: 'classify', visits: { classify: 1 } });

  it('a decision needing two reviewers gets two tasks at once, slots 1 and 2, each knowing N', () => {
    const p = planTransition({
      item: running,
      definition: flow,
      env: testEnv(),
      outcome: {
        kind: 'state-result',
        job,
        startedAt: NOW,
        result: { kind: 'await-review', review: request('decision', 2), decision: decision('refund', 0.6, 'review') },
      },
    });
    expect(p.reviewTasks.map((t) => [t.id, t.kind, t.queue, t.slot, t.reviewers_required, t.decision_id])).toEqual([
      ['id-3', 'decision', 'refunds', 1, 2, 'id-2'],
      ['id-4', 'decision', 'refunds', 2, 2, 'id-2'],
    ]);
    expect(p.events.filter((e) => e.action === 'review.requested').map((e) => e.data)).toMatchObject([
      { taskId: 'id-3', slot: 1, reviewersRequired: 2 },
      { taskId: 'id-4', slot: 2, reviewersRequired: 2 },
    ]);
    expect(p.item).toMatchObject({ status: 'waiting' });
  });

  it('a QA sample stays single whatever the request says', () => {
    const p = planTransition({
      item: running,
      definition: flow,
      env: testEnv(),
      outcome: {
        kind: 'state-result',
        job,
        startedAt: NOW,
        result: {
          kind: 'advance',
          output: { label: 'refund' },
          next: 'approve',
          decision: decision('refund', 0.95, 'sampled'),
          qa: request('qa', 3),
        },
      },
    });
    expect(p.reviewTasks.map((t) => [t.kind, t.slot, t.reviewers_required])).toEqual([['qa', 1, 1]]);
  });
});

describe('verdicts at a four-eyes point', () => {
  it('the first of two verdicts is recorded, not final, and the item does not move', () => {
    const p = plan(verdict(slotTask(1, ANN), ANN, 'deny'));
    expect(p.labels).toMatchObject([{ human_label: 'deny', reviewer_id: ANN, final: false, adjudicated: false }]);
    expect(p.reviews).toMatchObject([{ task_id: 'task-1', reviewer_id: ANN, label: 'deny' }]);
    expect(p.taskUpdates).toMatchObject([{ id: 'task-1', status: 'done' }]);
    expect(p.item).toBeUndefined();
    expect(p.stateRunCloses).toEqual([]);
    expect(p.jobs).toEqual([]);
    expect(p.reviewTasks).toEqual([]);
    expect(p.events.map((e) => e.action)).toEqual(['review.submitted']);
    expect(p.events[0]?.data).toMatchObject({ slot: 1, reviewersRequired: 2, awaitingVerdicts: 1 });
  });

  it('the second verdict agreeing: final label, the item moves on with it, decided by people', () => {
    const p = plan(verdict(slotTask(2, BOB), BOB, 'deny'), atClassify, [given(1, ANN, 'deny')]);
    expect(p.labels).toMatchObject([{ human_label: 'deny', reviewer_id: BOB, final: true, adjudicated: false }]);
    expect(p.events.map((e) => e.action)).toEqual(['review.submitted', 'review.agreed', 'state.completed']);
    expect(p.events[1]?.data).toEqual({
      state: 'classify',
      visit: 1,
      label: 'deny',
      verdicts: [
        { slot: 1, reviewerId: ANN, label: 'deny' },
        { slot: 2, reviewerId: BOB, label: 'deny' },
      ],
    });
    expect(p.stateRunCloses).toEqual([
      {
        item_id: ITEM,
        state: 'classify',
        visit: 1,
        output: { label: 'deny', confidence: 0.55, decidedBy: 'human', rationale: 'not a refund', reviewers: 2 },
        next_state: 'approve',
      },
    ]);
    expect(p.item).toMatchObject({ status: 'running', current_state: 'approve' });
    expect(p.jobs).toEqual([{ data: { itemId: ITEM, state: 'approve', visit: 1 } }]);
  });

  it('the second verdict disagreeing: one adjudication task for a lead, and the item still waits', () => {
    const p = plan(verdict(slotTask(2, BOB), BOB, 'other'), atClassify, [given(1, ANN, 'deny')]);
    expect(p.labels).toMatchObject([{ human_label: 'other', final: false, adjudicated: false }]);
    expect(p.item).toBeUndefined();
    expect(p.jobs).toEqual([]);
    expect(p.reviewTasks).toEqual([
      {
        id: 'id-3',
        item_id: ITEM,
        state: 'classify',
        visit: 1,
        decision_id: 'decision-1',
        kind: 'adjudication',
        queue: 'leads',
        labels: ['refund', 'deny', 'other'],
        reasons: [
          {
            code: 'reviewers_disagree',
            message: 'The 2 independent reviewers disagree: 1 said "deny", 1 said "other". Your answer is final.',
          },
        ],
        instructions: 'Settle the disagreement: read the 2 verdicts and give the final label. Classify.',
        summary: null,
        due_at: new Date('2026-12-01T12:30:00.000Z'),
        escalate_to: 'escalations',
        priority: 5,
        slot: 1,
        reviewers_required: 1,
      },
    ]);
    expect(p.events.map((e) => e.action)).toEqual(['review.submitted', 'review.disagreement']);
    expect(p.events[1]?.data).toEqual({
      state: 'classify',
      visit: 1,
      verdicts: [
        { slot: 1, reviewerId: ANN, label: 'deny' },
        { slot: 2, reviewerId: BOB, label: 'other' },
      ],
      adjudicationTaskId: 'id-3',
      queue: 'leads',
    });
  });

  it('the same person is refused a second verdict at the point, even holding another slot', () => {
    const e = thrown(() => plan(verdict(slotTask(2, ANN), ANN, 'deny'), atClassify, [given(1, ANN, 'deny')]));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/already gave a verdict on this item at "classify"/);
  });

  it('three reviewers: the second waits, and the third is compared with every verdict, not the first alone', () => {
    const t = (slot: number, user: string) =>
      task({ id: `task-${slot}`, state: 'approve', kind: 'review', assignee_id: user, slot, reviewers_required: 3 });
    const answer = (slot: number, user: string, label: string) => verdict(t(slot, user), user, label, 'answer');
    const review = (slot: number, reviewerId: string, label: string): PointVerdict => ({
      ...given(slot, reviewerId, label, 'review'),
      verdict: 'answer',
    });
    const second = plan(answer(2, BOB, 'yes'), atApprove, [review(1, ANN, 'yes')]);
    expect(second.item).toBeUndefined();
    expect(second.events[0]?.data).toMatchObject({ awaitingVerdicts: 1 });
    // yes, no, yes: the third agrees with the first but not the second.
    const third = plan(answer(3, LEAD, 'yes'), atApprove, [review(1, ANN, 'yes'), review(2, BOB, 'no')]);
    expect(third.item).toBeUndefined();
    expect(third.reviewTasks).toMatchObject([{ kind: 'adjudication', queue: 'approvals', labels: ['yes', 'no'] }]);
    expect(third.reviewTasks[0]?.reasons).toMatchObject([{ message: /2 said "yes", 1 said "no"/ }]);
    const agreed = plan(answer(3, LEAD, 'yes'), atApprove, [review(1, ANN, 'yes'), review(2, BOB, 'yes')]);
    expect(agreed.stateRunCloses[0]?.output).toEqual({ label: 'yes', note: null, reviewedBy: LEAD, reviewers: 3 });
    expect(agreed.item).toMatchObject({ status: 'succeeded', current_state: 'done' });
  });
});

describe('adjudication', () => {
  const adjudication = (userId = LEAD) =>
    task({
      id: 'task-adj',
      state: 'classify',
      kind: 'adjudication',
      decision_id: 'decision-1',
      queue: 'leads',
      labels: ['refund', 'deny', 'other'],
      assignee_id: userId,
      slot: 1,
      reviewers_required: 1,
    });
  const both = [given(1, ANN, 'deny'), given(2, BOB, 'other')];

  it("the lead's answer is final: an adjudicated label, and the item moves on", () => {
    const p = plan(verdict(adjudication(), LEAD, 'other', 'confirm'), atClassify, both);
    expect(p.labels).toMatchObject([
      {
        human_label: 'other',
        ai_label: 'refund',
        is_correction: true,
        reviewer_id: LEAD,
        final: true,
        adjudicated: true,
        review_id: 'id-1',
      },
    ]);
    expect(p.events.map((e) => e.action)).toEqual(['review.submitted', 'review.adjudicated', 'state.completed']);
    expect(p.events[1]?.data).toMatchObject({
      label: 'other',
      verdicts: [
        { slot: 1, reviewerId: ANN, label: 'deny' },
        { slot: 2, reviewerId: BOB, label: 'other' },
      ],
    });
    expect(p.stateRunCloses[0]?.output).toEqual({
      label: 'other',
      confidence: 0.55,
      decidedBy: 'human',
      rationale: null,
      reviewers: 2,
      adjudicated: true,
    });
    expect(p.item).toMatchObject({ status: 'running', current_state: 'approve' });
  });

  it('may answer a label nobody gave, but confirms only one that was given', () => {
    expect(plan(verdict(adjudication(), LEAD, 'refund', 'answer'), atClassify, both).labels).toMatchObject([
      { human_label: 'refund', adjudicated: true, is_correction: false },
    ]);
    const e = thrown(() => plan(verdict(adjudication(), LEAD, 'refund', 'confirm'), atClassify, both));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/none of the verdicts given \(deny, other\)/);
  });

  it('a lead who gave one of the verdicts cannot settle them', () => {
    const e = thrown(() => plan(verdict(adjudication(BOB), BOB, 'other', 'confirm'), atClassify, both));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/you cannot settle their disagreement/);
  });
});
