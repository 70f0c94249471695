// What counts labels must count a four-eyes decision once (issue 11 point 4): its answer (the
// agreed label, else the lead's adjudication), and a disagreement still waiting for a lead not at
// all. Three decisions through the real engine: A agreed (2 labels), B disagreed and adjudicated
// (3 labels), C disagreed and pending (2 labels, none final). Expected counts written by hand.
import { calibrationPoints, loadTrainingExamples } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import { createSnapshot } from '@signoff/datasets';
import type { DecisionsTable } from '@signoff/db';
import { SYSTEM, upsertUser } from '@signoff/governance';
import { calibrationReport, confusionMatrix } from '@signoff/insights';
import { accuracyReport, loadScoredDecisions } from '@signoff/trust';
import type { Selectable } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { adjudicateAs, holdTask, routedItem, seedIntentExamples, submitAs } from '../support/review-points';

const AGENT = 'consumers-intent';
const flow = defineWorkflow({
  name: 'consumers',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: AGENT, instructions: 'Refund or other?' },
      labels: ['refund', 'other'],
      text: (ctx) => ctx.input.text,
      policy: {
        autoAcceptAt: 0.5,
        queue: 'consumers',
        risks: [{ name: 'all', reason: 'Two people look at everything', when: () => true, reviewers: 2 }],
      },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
const who: Record<string, string> = {};
const decisions: Record<'A' | 'B' | 'C', Selectable<DecisionsTable>> = {} as never;
const TEXT = { A: 'refund my order please', B: 'I want my money back', C: 'refund the charge now' };

beforeAll(async () => {
  t = await createTestDatabase();
  await seedIntentExamples(t.db, AGENT, ['refund', 'other']);
  e = await startTestEngine(t, [flow]);
  for (const [name, role] of [
    ['ann', 'reviewer'],
    ['bob', 'reviewer'],
    ['lee', 'lead'],
  ] as const)
    who[name] = (
      await upsertUser(t.db, { email: `${name}@consumers.test`, name, role, password: 'correct horse battery' })
    ).id;
  const point = async (key: 'A' | 'B' | 'C', first: string, second: string, lead?: string) => {
    const { itemId, tasks } = await routedItem(t, e, 'consumers', { text: TEXT[key] });
    const [one, two] = tasks;
    if (!one || !two) throw new Error('expected two slots');
    await holdTask(t, e, one.id, who.ann as string);
    await submitAs(t, e, who.ann as string, one.id, 'answer', first);
    await holdTask(t, e, two.id, who.bob as string);
    await submitAs(t, e, who.bob as string, two.id, 'answer', second);
    if (lead) await adjudicateAs(t, e, who.lee as string, itemId, lead);
    decisions[key] = await t.db
      .selectFrom('decisions')
      .selectAll()
      .where('item_id', '=', itemId)
      .executeTakeFirstOrThrow();
  };
  await point('A', 'refund', 'refund');
  await point('B', 'refund', 'other', 'other');
  await point('C', 'other', 'refund');
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

it('has the labels the scenario says: every verdict kept, one final per settled point', async () => {
  const rows = await t.db.selectFrom('labels').select(['decision_id', 'human_label', 'final', 'adjudicated']).execute();
  const of = (k: 'A' | 'B' | 'C') => rows.filter((r) => r.decision_id === decisions[k].id);
  expect(
    of('A')
      .map((r) => [r.human_label, r.final])
      .sort(),
  ).toEqual([
    ['refund', false],
    ['refund', true],
  ]);
  expect(of('B').filter((r) => r.final)).toEqual([
    { decision_id: decisions.B.id, human_label: 'other', final: true, adjudicated: true },
  ]);
  expect(of('B')).toHaveLength(3);
  expect(of('C').filter((r) => r.final)).toEqual([]);
  expect(of('C')).toHaveLength(2);
});

it('calibration fits one point per settled decision, by its answer', async () => {
  const d = decisions.A;
  const points = await calibrationPoints(t.db, {
    agent: AGENT,
    modelVersion: d.model_version,
    confidenceMethod: d.confidence_method,
    promptVersion: d.prompt_version,
  });
  // A and B (7 labels in all, C unsettled): whether the AI was right against refund (A) and other (B).
  expect(points.map((p) => p.correct)).toEqual([decisions.A.label === 'refund', decisions.B.label === 'other']);
});

it('the built-in model trains on settled answers only', async () => {
  const examples = await loadTrainingExamples(t.db, AGENT, ['refund', 'other']);
  const human = examples.filter((x) => Object.values(TEXT).includes(x.text));
  expect(human.sort((a, b) => a.text.localeCompare(b.text))).toEqual([
    { text: TEXT.B, label: 'other' },
    { text: TEXT.A, label: 'refund' },
  ]);
});

it('fair labels, accuracy and the dashboards count each settled decision once; a pending disagreement is not labelled', async () => {
  const d = decisions.A;
  const scored = await loadScoredDecisions(
    t.db,
    {
      workflow: 'consumers',
      state: 'classify',
      agent: AGENT,
      modelVersion: d.model_version,
      confidenceMethod: d.confidence_method,
      promptVersion: d.prompt_version,
    },
    { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 86_400_000) },
  );
  const wrong = Object.fromEntries(scored.map((s) => [s.id, s.wrong]));
  expect(wrong[decisions.A.id]).toBe(decisions.A.label !== 'refund');
  expect(wrong[decisions.B.id]).toBe(decisions.B.label !== 'other');
  expect(wrong[decisions.C.id]).toBeUndefined();

  const [row] = await accuracyReport(t.db, { workflow: 'consumers' });
  expect(row?.routed).toMatchObject({ decisions: 3, labelled: 2 });
  expect(row?.adjudicated).toBe(1);

  const confusion = await confusionMatrix(t.db, { workflow: 'consumers' });
  expect(confusion.total).toBe(2);
  const calibration = await calibrationReport(t.db, { workflow: 'consumers' });
  expect(calibration.labelled).toBe(2);
});

it('a dataset has one row per settled review point; every verdict only when asked, each saying whether it is final', async () => {
  const answers = await t.db
    .transaction()
    .execute((trx) => createSnapshot(trx, { name: 'answers', filters: { workflow: 'consumers' } }, SYSTEM));
  expect(answers.rowCount).toBe(2);
  const all = await t.db
    .transaction()
    .execute((trx) =>
      createSnapshot(trx, { name: 'every verdict', filters: { workflow: 'consumers', verdicts: 'all' } }, SYSTEM),
    );
  expect(all.rowCount).toBe(7);
  const lines = await t.db
    .selectFrom('dataset_snapshot_rows')
    .select('line')
    .where('snapshot_id', '=', all.id)
    .execute();
  const finals = lines.map((l) => JSON.parse(String(l.line)).final);
  expect(finals.filter((f) => f === true)).toHaveLength(2);
  expect(finals.filter((f) => f === false)).toHaveLength(5);
});
