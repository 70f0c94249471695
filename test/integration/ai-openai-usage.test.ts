// Token usage and estimated cost: recorded on each decision by the engine (`decisionRow`) and
// summed per workflow and UTC day by `usageByWorkflowAndDay`. Decisions are made for real (the
// OpenAI-compatible provider against the fake endpoint, and the local model), then dated.
import {
  createLocalProvider,
  createOpenAIProvider,
  type DecisionProvider,
  type OpenAIProviderOptions,
} from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import { executeStep } from '@signoff/engine';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { usageByWorkflowAndDay } from '../../packages/ai/src/usage';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const classify = (name: string) =>
  defineWorkflow({
    name,
    input: z.object({ text: z.string() }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: `${name}-agent`, instructions: 'Is this a refund request?' },
        labels: ['refund', 'other'],
        text: (ctx) => ctx.input.text,
        policy: { autoAcceptAt: 0.5, queue: name },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });

let t: TestDatabase;
let e: TestEngine;
let fake: FakeOpenAI;

beforeAll(async () => {
  t = await createTestDatabase();
  // Every request: 1000 prompt tokens, 100 per answer.
  fake = await startFakeOpenAI({
    usage: (_body, choices) => ({ prompt_tokens: 1000, completion_tokens: 100 * choices }),
  });
  await t.db
    .insertInto('seed_examples')
    .values([
      { agent: 'routing-agent', text: 'refund my order', label: 'refund' },
      { agent: 'routing-agent', text: 'how do I log in', label: 'other' },
    ])
    .execute();
  e = await startTestEngine(t, [classify('triage'), classify('routing')], { workers: false });
});
afterAll(async () => {
  await e?.stop();
  await fake?.close();
  await t?.drop();
});

const openai = (model: string, extra: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, model, maxRetries: 0, ...extra });

/** Runs one decision of `workflow` with `provider` and dates it `at`; returns the decision row. */
async function decideAt(workflow: string, provider: DecisionProvider, at: string, text = 'refund please') {
  const id = await e.submit(workflow, { text });
  await executeStep(
    { db: t.db, boss: e.boss, registry: e.registry, provider },
    { itemId: id, state: 'classify', visit: 1 },
  );
  return t.db
    .updateTable('decisions')
    .set({ created_at: new Date(at) })
    .where('item_id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

it('records each decision’s tokens and cost, and sums them per workflow and UTC day', async () => {
  const mini = openai('gpt-4o-mini');
  const priced = openai('my-vllm-model', { pricing: { 'my-vllm-model': { inputPerMillion: 1, outputPerMillion: 2 } } });
  const unpriced = openai('mystery-model');
  const local = createLocalProvider();

  const first = await decideAt('triage', mini, '2025-03-01T23:59:59.999Z');
  expect(first).toMatchObject({ provider: 'openai', tokens_in: 1000, tokens_out: 100 });
  // gpt-4o-mini at $0.15 / $0.60 per million tokens.
  expect(first.cost_usd).toBeCloseTo(0.00021, 12);
  await decideAt('triage', mini, '2025-03-02T00:00:00.000Z');
  await decideAt('triage', mini, '2025-03-02T12:00:00.000Z');
  const vllm = await decideAt('routing', priced, '2025-03-02T08:00:00.000Z');
  expect(vllm.cost_usd).toBeCloseTo(0.0012, 12);
  const mystery = await decideAt('routing', unpriced, '2025-03-02T09:00:00.000Z');
  expect(mystery).toMatchObject({ tokens_in: 1000, tokens_out: 100, cost_usd: null });
  const nb = await decideAt('routing', local, '2025-03-02T10:00:00.000Z');
  expect(nb).toMatchObject({ provider: 'local', tokens_in: null, cost_usd: 0 });
  // Outside the range: `to` is exclusive.
  await decideAt('triage', mini, '2025-03-03T00:00:00.000Z');

  const rows = await usageByWorkflowAndDay(t.db, {
    from: new Date('2025-03-01T00:00:00Z'),
    to: new Date('2025-03-03T00:00:00Z'),
  });
  expect(rows).toEqual([
    {
      workflow: 'triage',
      day: '2025-03-01',
      calls: 1,
      tokensIn: 1000,
      tokensOut: 100,
      costUsd: expect.closeTo(0.00021, 12),
      callsWithoutCost: 0,
    },
    {
      workflow: 'routing',
      day: '2025-03-02',
      calls: 3,
      tokensIn: 2000,
      tokensOut: 200,
      costUsd: expect.closeTo(0.0012, 12),
      callsWithoutCost: 1,
    },
    {
      workflow: 'triage',
      day: '2025-03-02',
      calls: 2,
      tokensIn: 2000,
      tokensOut: 200,
      costUsd: expect.closeTo(0.00042, 12),
      callsWithoutCost: 0,
    },
  ]);
});

it('charges a self-consistency decision for every sample', async () => {
  fake.setFaults([{ kind: 'no-logprobs' }]);
  try {
    const d = await decideAt('triage', openai('gpt-4o-mini', { samples: 5 }), '2025-04-01T00:00:00Z');
    expect(d).toMatchObject({ confidence_method: 'self-consistency', tokens_in: 2000, tokens_out: 600 });
    expect(d.cost_usd).toBeCloseTo((2000 * 0.15 + 600 * 0.6) / 1e6, 12);
  } finally {
    fake.setFaults([]);
  }
});
