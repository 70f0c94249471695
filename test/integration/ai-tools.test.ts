// Tool calling in a decide state: the model calls the agent's tools (arguments validated by their
// zod schema), the results are fed back, and every call is recorded. The real `openai` SDK
// against the fake endpoint over HTTP.
import { createOpenAIProvider, type DecideRequest, type OpenAIProviderOptions } from '@signoff/ai';
import {
  type AgentTool,
  type AppErrorCode,
  canonicalJson,
  defineWorkflow,
  isAppError,
  serializeWorkflow,
} from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CapturedMessage, type FakeOpenAI, type FakeToolCall, startFakeOpenAI } from '../fixtures/fake-openai';

const LABELS = ['refund', 'reship', 'other'];
const TEXT = 'My order ORD-1234 never arrived.';

const ORDERS: Record<string, { orderId: string; status: string; total: number }> = {
  'ORD-1234': { orderId: 'ORD-1234', status: 'lost', total: 42.5 },
};
let lookups: string[] = [];
const lookupOrder: AgentTool = {
  name: 'lookupOrder',
  description: 'Looks up an order: its status and total.',
  parameters: z.object({ orderId: z.string().regex(/^ORD-\d+$/) }),
  run: ({ orderId }: { orderId: string }) => {
    lookups.push(orderId);
    return ORDERS[orderId] ?? { error: 'no such order' };
  },
};
const AGENT = { name: 'delivery-claims', instructions: 'Decide how to settle the claim.', tools: [lookupOrder] };

let fake: FakeOpenAI;
/** The calls the fake model makes before answering; tests replace it. */
let plan: FakeToolCall[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI({
    toolCalls: () => plan,
    // The fake model reads the tool results: a lost order is refunded, otherwise reshipped.
    classify: (_text, labels, messages) => {
      const results = messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
      if (results.length === 0) return labels.at(-1) as string;
      return results.some((r) => r.includes('"status":"lost"')) ? 'refund' : 'reship';
    },
    usage: (_body, choices) => ({ prompt_tokens: 100, completion_tokens: 10 * choices }),
  });
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.reset();
  fake.setFaults([]);
  fake.requests.length = 0;
  plan = [{ name: 'lookupOrder', arguments: { orderId: 'ORD-1234' } }];
  lookups = [];
});

const provider = (options: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0, ...options });
// The OpenAI-compatible provider does not touch the database.
const db = undefined as unknown as Kysely<DB>;
const decide = (options: Partial<OpenAIProviderOptions> = {}, req: Partial<DecideRequest> = {}) =>
  provider(options).decide(db, { agent: AGENT, labels: LABELS, text: TEXT, ...req });

const toolMessages = (messages: CapturedMessage[] | undefined) => (messages ?? []).filter((m) => m.role === 'tool');

async function expectAppError(p: Promise<unknown>, code: AppErrorCode, message: RegExp): Promise<void> {
  const e = await p.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err as Error,
  );
  expect(isAppError(e) ? `${e.code}: ${e.message}` : String(e)).toMatch(new RegExp(`^${code}: .*${message.source}`));
}

describe('a decide state with tools', () => {
  it('sends the tools, runs the call, feeds the result back and records it', async () => {
    const r = await decide();
    expect(lookups).toEqual(['ORD-1234']);
    expect(r).toMatchObject({
      label: 'refund',
      confidenceMethod: 'logprobs',
      outputMode: 'json_schema',
      // Two requests at 100 + 10 tokens each: the tool round and the answer.
      tokensIn: 200,
      tokensOut: 20,
    });
    expect(r.costUsd).toBeGreaterThan(0);
    expect(r.toolCalls).toEqual([
      {
        name: 'lookupOrder',
        arguments: { orderId: 'ORD-1234' },
        ok: true,
        result: ORDERS['ORD-1234'],
        latencyMs: expect.any(Number),
      },
    ]);

    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect(first?.response_format?.type).toBe('json_schema');
    expect(first?.tool_choice).toBe('auto');
    expect(first?.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'lookupOrder',
          description: 'Looks up an order: its status and total.',
          parameters: {
            type: 'object',
            properties: { orderId: { type: 'string', pattern: '^ORD-\\d+$' } },
            required: ['orderId'],
          },
        },
      },
    ]);
    // The second request carries the model's call and the tool's result, in that order.
    const messages = second?.messages ?? [];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    const call = messages[2]?.tool_calls?.[0];
    expect(call?.function).toEqual({ name: 'lookupOrder', arguments: '{"orderId":"ORD-1234"}' });
    expect(messages[3]).toMatchObject({ tool_call_id: call?.id });
    expect(JSON.parse(String(messages[3]?.content))).toEqual(ORDERS['ORD-1234']);
  });

  it('answers directly when the model calls no tool', async () => {
    plan = [];
    const r = await decide();
    expect(r).toMatchObject({ label: 'other', toolCalls: [] });
    expect(fake.requests).toHaveLength(1);
    expect(lookups).toEqual([]);
  });

  it('feeds back an error for invalid arguments, records it and still decides', async () => {
    plan = [
      { name: 'lookupOrder', arguments: { orderId: '1234' } },
      { name: 'lookupOrder', arguments: '{"orderId": ' },
      { name: 'cancelOrder', arguments: { orderId: 'ORD-1234' } },
    ];
    const r = await decide();
    expect(lookups).toEqual([]);
    expect(r.label).toBe('reship');
    expect(r.toolCalls).toEqual([
      {
        name: 'lookupOrder',
        arguments: { orderId: '1234' },
        ok: false,
        error: expect.stringMatching(/^invalid arguments: orderId: /),
        latencyMs: expect.any(Number),
      },
      expect.objectContaining({
        ok: false,
        arguments: '{"orderId": ',
        error: expect.stringMatching(/not valid JSON/),
      }),
      expect.objectContaining({ name: 'cancelOrder', ok: false, error: expect.stringMatching(/no tool named/) }),
    ]);
    const fed = toolMessages(fake.requests[1]?.messages);
    expect(fed).toHaveLength(3);
    expect(fed.map((m) => JSON.parse(String(m.content)))).toEqual(r.toolCalls?.map((c) => ({ error: c.error })));
  });

  it('records a tool that fails or overruns its time limit, and still decides', async () => {
    const slow: AgentTool = {
      name: 'carrierStatus',
      description: "The carrier's tracking status.",
      parameters: z.object({ orderId: z.string() }),
      run: () => new Promise(() => {}),
    };
    const broken: AgentTool = {
      name: 'refundHistory',
      description: 'Past refunds of the customer.',
      parameters: z.object({}),
      run: () => {
        throw new Error('refund service unavailable');
      },
    };
    plan = [
      { name: 'carrierStatus', arguments: { orderId: 'ORD-1234' } },
      { name: 'refundHistory', arguments: {} },
      { name: 'lookupOrder', arguments: { orderId: 'ORD-1234' } },
    ];
    const r = await decide({ toolTimeoutMs: 50 }, { agent: { ...AGENT, tools: [lookupOrder, slow, broken] } });
    expect(r.label).toBe('refund');
    expect(r.toolCalls?.map((c) => [c.name, c.ok, c.error])).toEqual([
      ['carrierStatus', false, 'the tool timed out after 50 ms'],
      ['refundHistory', false, 'refund service unavailable'],
      ['lookupOrder', true, undefined],
    ]);
  });

  it('fails with AI_INVALID_OUTPUT when the model keeps calling tools', async () => {
    fake.configure({ toolRounds: Number.POSITIVE_INFINITY });
    await expectAppError(decide(), 'AI_INVALID_OUTPUT', /kept calling tools: still calling lookupOrder after 4 rounds/);
    // Four rounds of calls answered, then the fifth answer was one more call.
    expect(fake.requests).toHaveLength(5);
    expect(lookups).toHaveLength(4);
    expect(toolMessages(fake.requests[4]?.messages)).toHaveLength(4);
  });

  it('rejects invalid tool names before sending anything', async () => {
    const decision = { ...lookupOrder, name: 'decision' };
    await expectAppError(
      decide({}, { agent: { ...AGENT, tools: [decision] } }),
      'INVALID_WORKFLOW',
      /"decision" is reserved/,
    );
    expect(fake.requests).toHaveLength(0);
  });
});

describe('tools with the fallbacks', () => {
  it('skips the forced tool call: without json_schema it goes to JSON mode, tools included', async () => {
    fake.configure({ rejectJsonSchema: true });
    const p = provider();
    const r = await p.decide(db, { agent: AGENT, labels: LABELS, text: TEXT });
    expect(r).toMatchObject({ label: 'refund', outputMode: 'json_object' });
    expect(r.toolCalls).toHaveLength(1);
    const kinds = fake.requests.map((q) => [q.response_format?.type, q.tools?.map((t) => t.function?.name)]);
    expect(kinds).toEqual([
      ['json_schema', ['lookupOrder']],
      ['json_object', ['lookupOrder']],
      ['json_object', ['lookupOrder']],
    ]);
    // The instance learnt that json_schema is refused: a decision without tools tries the forced call next.
    fake.requests.length = 0;
    plan = [];
    const plain = await p.decide(db, {
      agent: { name: 'plain', instructions: 'Classify.' },
      labels: LABELS,
      text: TEXT,
    });
    expect(plain.outputMode).toBe('tool_call');
  });

  it('draws self-consistency samples from the same tool results, without more calls', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const r = await decide({ samples: 3 });
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'self-consistency', confidence: 1 });
    expect(lookups).toHaveLength(1);
    expect(fake.requests).toHaveLength(3);
    const sample = fake.requests[2];
    expect(sample).toMatchObject({ n: 3, tool_choice: 'none' });
    expect(toolMessages(sample?.messages)).toHaveLength(1);
    // Usage of all three requests: the tool round, the answer and the samples.
    expect(r).toMatchObject({ tokensIn: 300, tokensOut: 10 + 10 + 30 });
  });
});

describe('the workflow version', () => {
  it('includes the tools: their names, descriptions and code', () => {
    const version = (tools: AgentTool[] | undefined) =>
      canonicalJson(
        serializeWorkflow(
          defineWorkflow({
            name: 'claims',
            input: z.object({ text: z.string() }),
            start: 'settle',
            states: {
              settle: {
                kind: 'decide',
                agent: { ...AGENT, ...(tools ? { tools } : { tools: undefined }) },
                labels: LABELS,
                text: (c) => c.input.text,
                policy: { autoAcceptAt: 0.9, queue: 'claims' },
                next: 'done',
              },
              done: { kind: 'final', status: 'succeeded' },
            },
          }),
        ),
      );
    const base = version([lookupOrder]);
    expect(base).toContain('"name":"lookupOrder"');
    expect(version([lookupOrder])).toBe(base);
    expect(version([{ ...lookupOrder, run: () => ({ status: 'shipped' }) }])).not.toBe(base);
    expect(version([{ ...lookupOrder, description: 'Another description.' }])).not.toBe(base);
    expect(version(undefined)).not.toContain('"tools"');
  });
});
