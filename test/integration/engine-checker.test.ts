// The checker pattern: a second agent answers the same question independently; disagreement forces
// review (or lowers the confidence), and both answers are kept with the decision and its audit event.
import { createLocalProvider } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import { executeStep } from '@signoff/engine';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const refundTexts = ['I want my money back', 'refund the double charge', 'please refund my order'];
const otherTexts = ['how do I export a report', 'the app crashes on start', 'change my email address'];

function flow(name: string, checkerAgent: string, onDisagree?: 'review' | 'lower') {
  return defineWorkflow({
    name,
    input: z.object({ text: z.string() }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: 'primary', instructions: 'Refund request or not?' },
        checker: {
          agent: { name: checkerAgent, instructions: 'Independently: refund request or not?' },
          ...(onDisagree ? { onDisagree, penalty: 0.5 } : {}),
        },
        labels: ['refund', 'other'],
        text: (ctx) => ctx.input.text,
        policy: { autoAcceptAt: 0.75, queue: 'refunds' },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
}

let t: TestDatabase;
let e: TestEngine;
const provider = createLocalProvider();
beforeAll(async () => {
  t = await createTestDatabase();
  const seed = (agent: string, refund: string, other: string) => [
    ...refundTexts.map((text) => ({ agent, text, label: refund })),
    ...otherTexts.map((text) => ({ agent, text, label: other })),
  ];
  // 'agreeing' learnt what 'primary' learnt; 'contrarian' learnt the opposite.
  await t.db
    .insertInto('seed_examples')
    .values([
      ...seed('primary', 'refund', 'other'),
      ...seed('agreeing', 'refund', 'other'),
      ...seed('contrarian', 'other', 'refund'),
    ])
    .execute();
  e = await startTestEngine(
    t,
    [flow('checked', 'agreeing'), flow('disputed', 'contrarian'), flow('discounted', 'contrarian', 'lower')],
    {
      workers: false,
    },
  );
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

async function run(workflow: string) {
  const id = await e.submit(workflow, { text: 'please refund the double charge on my order' });
  await executeStep(
    { db: t.db, boss: e.boss, registry: e.registry, provider },
    { itemId: id, state: 'classify', visit: 1 },
  );
  const decision = await t.db.selectFrom('decisions').selectAll().where('item_id', '=', id).executeTakeFirstOrThrow();
  const event = await t.db
    .selectFrom('audit_events')
    .select('data')
    .where('stream', '=', id)
    .where('action', '=', 'decision.made')
    .executeTakeFirstOrThrow();
  return { decision, event };
}

it('a checker that agrees lets a confident decision through, and is recorded', async () => {
  const { decision, event } = await run('checked');
  expect(decision).toMatchObject({ label: 'refund', route: 'auto' });
  expect(decision.output).toMatchObject({ checker: { agent: 'agreeing', agrees: true, label: 'refund' } });
  expect(event.data).toMatchObject({ checker: { agent: 'agreeing', agrees: true } });
});

it('a checker that disagrees sends the decision to review with its answer as the reason', async () => {
  const { decision, event } = await run('disputed');
  expect(decision).toMatchObject({ label: 'refund', route: 'review' });
  expect(decision.reasons).toEqual([
    expect.objectContaining({ code: 'checker_disagrees', message: expect.stringContaining('answered "other"') }),
  ]);
  expect(decision.output).toMatchObject({ checker: { agent: 'contrarian', agrees: false, label: 'other' } });
  expect(event.data).toMatchObject({ checker: { agrees: false, label: 'other' } });
});

it('with onDisagree "lower", disagreement halves the confidence before routing', async () => {
  const { decision } = await run('discounted');
  expect(decision.calibrated_confidence).toBeCloseTo(decision.confidence * 0.5, 10);
  expect(decision.route).toBe('review');
  expect(decision.reasons.map((r) => r.code)).toEqual(['low_confidence']);
});

it('different agents decide at different states of one workflow, each with its own prompt version', async () => {
  const twoStep = defineWorkflow({
    name: 'two-agents',
    input: z.object({ text: z.string() }),
    start: 'first',
    states: {
      first: {
        kind: 'decide',
        agent: { name: 'primary', instructions: 'Refund request or not?' },
        labels: ['refund', 'other'],
        text: (ctx) => ctx.input.text,
        policy: { autoAcceptAt: 0, queue: 'q' },
        next: 'second',
      },
      second: {
        kind: 'decide',
        agent: { name: 'agreeing', instructions: 'Second opinion: refund request or not?' },
        labels: ['refund', 'other'],
        text: (ctx) => `${ctx.input.text} (first said ${ctx.first.label})`,
        policy: { autoAcceptAt: 0, queue: 'q' },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
  await e.registry.register(t.db, twoStep);
  const id = await e.submit('two-agents', { text: 'refund my order please' });
  const deps = { db: t.db, boss: e.boss, registry: e.registry, provider };
  await executeStep(deps, { itemId: id, state: 'first', visit: 1 });
  await executeStep(deps, { itemId: id, state: 'second', visit: 1 });
  const decisions = await t.db
    .selectFrom('decisions')
    .select(['state', 'agent', 'prompt_version', 'model_version'])
    .where('item_id', '=', id)
    .orderBy('created_at')
    .execute();
  expect(decisions.map((d) => [d.state, d.agent])).toEqual([
    ['first', 'primary'],
    ['second', 'agreeing'],
  ]);
  expect(decisions[0]?.prompt_version).not.toBe(decisions[1]?.prompt_version);
});
