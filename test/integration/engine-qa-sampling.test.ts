// QA sampling: a share of auto-accepted decisions is also reviewed by a person, without holding the
// item; the verdict becomes a label, so accuracy and calibration see the confident region too.
import { createHash } from 'node:crypto';
import { calibrationPoints } from '@signoff/ai';
import { defineWorkflow, isSampled } from '@signoff/core';
import { claimNextTask, submitVerdict } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { waitFor } from '../support/signoff';

const ITEMS = 120;
const RATE = 0.25;
const flow = defineWorkflow({
  name: 'qa-flow',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: 'qa-intent', instructions: 'Refund request or not?' },
      labels: ['refund', 'other'],
      text: (ctx) => ctx.input.text,
      policy: { autoAcceptAt: 0, queue: 'refunds', sampleRate: RATE, sampleQueue: 'qa' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  t = await createTestDatabase();
  await t.db
    .insertInto('seed_examples')
    .values([
      ...['money back please', 'refund the charge', 'I want a refund'].map((text) => ({
        agent: 'qa-intent',
        text,
        label: 'refund',
      })),
      ...['how do I export', 'app crashes', 'change my email'].map((text) => ({
        agent: 'qa-intent',
        text,
        label: 'other',
      })),
    ])
    .execute();
  e = await startTestEngine(t, [flow]);
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

it('samples auto-accepted decisions for QA review without holding the items, and records the verdicts as labels', async () => {
  const ids: string[] = [];
  for (let i = 0; i < ITEMS; i++)
    ids.push(await e.submit('qa-flow', { text: i % 2 ? `refund order ${i}` : `export report ${i}` }));
  await waitFor(async () => {
    const r = await t.db
      .selectFrom('items')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'succeeded')
      .executeTakeFirstOrThrow();
    return Number(r.n) === ITEMS;
  });
  // Every item finished; the sampled ones have a QA task besides.
  const tasks = await t.db
    .selectFrom('review_tasks')
    .select(['item_id', 'kind', 'queue', 'status', 'reasons'])
    .execute();
  const expected = ids.filter((id) =>
    isSampled(createHash('sha256').update(`${id}:classify:1`).digest().readUInt32BE(0), RATE),
  );
  expect(tasks.map((x) => x.item_id).sort()).toEqual([...expected].sort());
  expect(expected.length).toBeGreaterThan(ITEMS * RATE * 0.5);
  expect(expected.length).toBeLessThan(ITEMS * RATE * 1.5);
  for (const task of tasks)
    expect(task).toMatchObject({ kind: 'qa', queue: 'qa', status: 'pending', reasons: [{ code: 'qa_sample' }] });
  const sampled = await t.db.selectFrom('decisions').select('item_id').where('route', '=', 'sampled').execute();
  expect(sampled.map((d) => d.item_id).sort()).toEqual([...expected].sort());

  // A reviewer disagrees with one: a correction label, and the finished item is left as it is.
  const reviewer = await upsertUser(t.db, { email: 'qa@test', name: 'Quinn QA', role: 'reviewer', password: 'x' });
  await joinQueues(t.db, reviewer.id, ['qa']);
  const task = await t.db.transaction().execute((trx) => claimNextTask(trx, e, reviewer, 'qa'));
  const decision = await t.db
    .selectFrom('decisions')
    .selectAll()
    .where('item_id', '=', task?.item_id as string)
    .executeTakeFirstOrThrow();
  const other = decision.label === 'refund' ? 'other' : 'refund';
  await t.db.transaction().execute((trx) =>
    submitVerdict(trx, e, reviewer.id, {
      taskId: task?.id as string,
      verdict: 'correct',
      label: other,
      reason: 'QA: wrong intent',
    }),
  );
  const label = await t.db
    .selectFrom('labels')
    .selectAll()
    .where('item_id', '=', task?.item_id as string)
    .executeTakeFirstOrThrow();
  expect(label).toMatchObject({
    ai_label: decision.label,
    human_label: other,
    is_correction: true,
    model_version: decision.model_version,
  });
  const item = await t.db
    .selectFrom('items')
    .select(['status', 'context'])
    .where('id', '=', task?.item_id as string)
    .executeTakeFirstOrThrow();
  expect(item.status).toBe('succeeded');
  expect(item.context.classify).toMatchObject({ label: decision.label, decidedBy: 'ai' });
  const points = await calibrationPoints(t.db, {
    agent: 'qa-intent',
    modelVersion: decision.model_version,
    confidenceMethod: decision.confidence_method,
    promptVersion: decision.prompt_version,
  });
  expect(points).toEqual([expect.objectContaining({ correct: false })]);
});
