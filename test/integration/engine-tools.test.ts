// A decide state whose agent may call tools: the model (our fake, through the real SDK) looks an
// order up; the call, its arguments and its result are kept with the decision and in the audit trail.

import { createHash } from 'node:crypto';
import { createOpenAIProvider } from '@signoff/ai';
import { type AgentTool, canonicalJson, defineWorkflow, isAppError, validateWorkflow } from '@signoff/core';
import { executeStep } from '@signoff/engine';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const lookupOrder: AgentTool = {
  name: 'lookupOrder',
  description: 'Looks up an order by id',
  parameters: z.object({ orderId: z.string().regex(/^ORD-\d+$/) }),
  run: ({ orderId }: { orderId: string }) => ({ orderId, status: 'lost', value: 80 }),
};
const claims = defineWorkflow({
  name: 'delivery-claim',
  input: z.object({ text: z.string(), orderId: z.string() }),
  start: 'settle',
  states: {
    settle: {
      kind: 'decide',
      agent: {
        name: 'claims',
        instructions: 'Settle the delivery claim; look the order up first.',
        tools: [lookupOrder],
      },
      labels: ['refund', 'reship'],
      text: (ctx) => `${ctx.input.text} (order ${ctx.input.orderId})`,
      policy: { autoAcceptAt: 0.5, queue: 'claims' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let fake: FakeOpenAI;
let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  fake = await startFakeOpenAI({
    toolCalls: (text) => [{ name: 'lookupOrder', arguments: { orderId: /ORD-\d+/.exec(text)?.[0] ?? 'none' } }],
    classify: (_text, labels, messages) =>
      messages?.some((m) => m.role === 'tool' && String(m.content).includes('"status":"lost"'))
        ? 'refund'
        : (labels.at(-1) as string),
  });
  t = await createTestDatabase();
  e = await startTestEngine(t, [claims], { workers: false });
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
  await fake?.close();
});

it('keeps every tool call with the decision and in its audit event', async () => {
  const provider = createOpenAIProvider({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 });
  const id = await e.submit('delivery-claim', { text: 'My parcel never arrived', orderId: 'ORD-4411' });
  await executeStep(
    { db: t.db, boss: e.boss, registry: e.registry, provider },
    { itemId: id, state: 'settle', visit: 1 },
  );
  const decision = await t.db.selectFrom('decisions').selectAll().where('item_id', '=', id).executeTakeFirstOrThrow();
  expect(decision.label).toBe('refund');
  const call = {
    name: 'lookupOrder',
    arguments: { orderId: 'ORD-4411' },
    ok: true,
    result: { orderId: 'ORD-4411', status: 'lost', value: 80 },
  };
  expect(decision.output).toMatchObject({ toolCalls: [call] });
  const event = await t.db
    .selectFrom('audit_events')
    .select('data')
    .where('stream', '=', id)
    .where('action', '=', 'decision.made')
    .executeTakeFirstOrThrow();
  // The event keeps how many calls and their digest; arguments and results stay in the decision.
  const toolCalls = (decision.output as { toolCalls: unknown[] }).toolCalls;
  expect(event.data).toMatchObject({
    toolCalls: 1,
    toolCallsHash: createHash('sha256').update(canonicalJson(toolCalls)).digest('hex'),
  });
  expect(JSON.stringify(event.data)).not.toContain('ORD-4411');
});

it('refuses a tool with a bad name when the workflow is defined', () => {
  const spec = {
    ...claims,
    states: {
      ...claims.states,
      settle: {
        ...claims.states.settle,
        agent: { name: 'claims', instructions: 'x', tools: [{ ...lookupOrder, name: 'decision' }] },
      },
    },
  };
  expect(validateWorkflow(spec as never)).toContain(
    'agent "claims": tool name "decision" is not allowed (letters, digits, _ and -, at most 64; not "decision")',
  );
  try {
    defineWorkflow(spec as never);
    expect.unreachable();
  } catch (err) {
    expect(isAppError(err, 'INVALID_WORKFLOW')).toBe(true);
  }
});
