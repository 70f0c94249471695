// Agreement from four-eyes verdicts (issue 11 point 3): the pairs of independent verdicts the engine
// recorded at multi-reviewer review points, and Cohen's kappa from them, worked by hand. Real
// PostgreSQL, real engine; adjudications and single reviews must not be paired.
import { defineWorkflow } from '@signoff/core';
import { upsertUser } from '@signoff/governance';
import { multiReviewAgreement, verdictPairs } from '@signoff/insights';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { adjudicateAs, holdTask, routedItem, submitAs } from '../support/review-points';

const pairFlow = defineWorkflow({
  name: 'kappa-pairs',
  input: z.object({ n: z.number() }),
  start: 'check',
  states: {
    check: {
      kind: 'review',
      queue: 'kappa',
      labels: ['refund', 'other'],
      instructions: 'Refund?',
      reviewers: 2,
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});
const threeFlow = defineWorkflow({
  name: 'kappa-three',
  input: z.object({ n: z.number() }),
  start: 'check',
  states: {
    check: { kind: 'review', queue: 'kappa', labels: ['yes', 'no'], instructions: 'OK?', reviewers: 3, next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});
const singleFlow = defineWorkflow({
  name: 'kappa-single',
  input: z.object({ n: z.number() }),
  start: 'check',
  states: {
    check: { kind: 'review', queue: 'kappa', labels: ['refund', 'other'], instructions: 'Refund?', next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [pairFlow, threeFlow, singleFlow]);
  for (const [name, role] of [
    ['ann', 'reviewer'],
    ['bob', 'reviewer'],
    ['cy', 'reviewer'],
    ['lee', 'lead'],
  ] as const)
    ids[name] = (
      await upsertUser(t.db, { email: `${name}@kappa.test`, name, role, password: 'correct horse battery' })
    ).id;
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

/** One review point answered slot by slot; a disagreement settled by the lead. */
async function answer(workflow: string, n: number, verdicts: [string, string][]) {
  const { itemId, tasks } = await routedItem(t, e, workflow, { n });
  for (const [k, [who, label]] of verdicts.entries()) {
    const task = tasks[k];
    if (!task) throw new Error(`no slot ${k + 1}`);
    await holdTask(t, e, task.id, ids[who] as string);
    const r = await submitAs(t, e, ids[who] as string, task.id, 'answer', label);
    if (r.adjudication) await adjudicateAs(t, e, ids.lee as string, itemId, label);
  }
  await e.settle(itemId);
  return itemId;
}

it("pairs the two slots of each four-eyes point and computes Cohen's kappa from them (worked by hand)", async () => {
  // 10 points. Slot 1 against slot 2: refund/refund 4, other/other 3, refund/other 2, other/refund 1.
  const table: [string, string, number][] = [
    ['refund', 'refund', 4],
    ['other', 'other', 3],
    ['refund', 'other', 2],
    ['other', 'refund', 1],
  ];
  let n = 0;
  for (const [a, b, count] of table)
    for (let i = 0; i < count; i++)
      // Who takes which slot varies: the first rater is the slot, not the person.
      await answer(
        'kappa-pairs',
        n++,
        n % 2
          ? [
              ['ann', a],
              ['bob', b],
            ]
          : [
              ['bob', a],
              ['ann', b],
            ],
      );
  // Not pairs: a single review, however many labels its decision ends up with elsewhere.
  await answer('kappa-single', 100, [['cy', 'refund']]);

  const pairs = await verdictPairs(t.db, { workflow: 'kappa-pairs' });
  expect(pairs).toHaveLength(10);
  for (const p of pairs) {
    expect([p.first.slot, p.second.slot, p.state, p.visit]).toEqual([1, 2, 'check', 1]);
    expect(p.first.reviewerId).not.toBe(p.second.reviewerId);
  }
  // The three disagreements were adjudicated by Lee: her labels are in no pair.
  expect(pairs.some((p) => p.first.reviewerId === ids.lee || p.second.reviewerId === ids.lee)).toBe(false);
  expect(await verdictPairs(t.db, { workflow: 'kappa-single' })).toEqual([]);

  // po = 7/10. Slot 1: refund 6/10, other 4/10; slot 2: refund 5/10, other 5/10.
  // pe = 0.6 x 0.5 + 0.4 x 0.5 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
  // SE = sqrt(0.7 x 0.3 / (10 x 0.25)) = sqrt(0.084).
  const a = await multiReviewAgreement(t.db, { workflow: 'kappa-pairs' });
  expect(a.pairs).toBe(10);
  expect(a.observed).toBeCloseTo(0.7, 12);
  expect(a.expected).toBeCloseTo(0.5, 12);
  expect(a.kappa).toBeCloseTo(0.4, 12);
  expect(a.standardError).toBeCloseTo(Math.sqrt(0.084), 12);
  expect(a.cells).toEqual([
    { first: 'other', second: 'other', count: 3 },
    { first: 'other', second: 'refund', count: 1 },
    { first: 'refund', second: 'other', count: 2 },
    { first: 'refund', second: 'refund', count: 4 },
  ]);
});

it('a three-reviewer point gives three pairs, slot i before slot j', async () => {
  await answer('kappa-three', 1, [
    ['ann', 'yes'],
    ['bob', 'yes'],
    ['cy', 'no'],
  ]);
  const pairs = await verdictPairs(t.db, { workflow: 'kappa-three' });
  expect(pairs.map((p) => [p.first.slot, p.first.label, p.second.slot, p.second.label])).toEqual([
    [1, 'yes', 2, 'yes'],
    [1, 'yes', 3, 'no'],
    [2, 'yes', 3, 'no'],
  ]);
  // po = 1/3; slot-wise first rater always yes, second yes 1/3: pe = 1/3, kappa = 0.
  const a = await multiReviewAgreement(t.db, { workflow: 'kappa-three' });
  expect(a.kappa).toBeCloseTo(0, 12);
});
