import type { AgentTool } from '@signoff/core';
import { isAppError } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runToolCall, TOOL_RESULT_MAX_CHARS, toolDefinitions, toolProblems } from './tools';

const lookupOrder: AgentTool = {
  name: 'lookupOrder',
  description: 'Looks up an order by its id.',
  parameters: z.object({ orderId: z.string().regex(/^ORD-\d+$/) }),
  run: ({ orderId }: { orderId: string }) => ({ orderId, status: 'shipped' }),
};
const tool = (patch: Partial<AgentTool>): AgentTool => ({ ...lookupOrder, ...patch });

describe('toolProblems / toolDefinitions', () => {
  it('accepts good tools and describes them as function tools with their JSON Schema', () => {
    expect(toolProblems([lookupOrder])).toEqual([]);
    expect(toolDefinitions([lookupOrder])).toEqual([
      {
        type: 'function',
        function: {
          name: 'lookupOrder',
          description: 'Looks up an order by its id.',
          parameters: {
            type: 'object',
            properties: { orderId: { type: 'string', pattern: '^ORD-\\d+$' } },
            required: ['orderId'],
          },
        },
      },
    ]);
  });

  it('describes the input side of a schema (a defaulted field is optional)', () => {
    const [def] = toolDefinitions([tool({ parameters: z.object({ limit: z.number().default(5) }) })]);
    expect(def?.function.parameters).toMatchObject({ properties: { limit: { type: 'number', default: 5 } } });
    expect(def?.function.parameters.required).toBeUndefined();
  });

  it('names every problem: bad, reserved and duplicate names, parameters that are not an object', () => {
    expect(
      toolProblems([
        tool({ name: 'look up' }),
        tool({ name: 'x'.repeat(65) }),
        tool({ name: 'decision' }),
        lookupOrder,
        lookupOrder,
        tool({ name: 'scalar', parameters: z.string() }),
        tool({ name: 'dates', parameters: z.object({ at: z.date() }) }),
      ]),
    ).toEqual([
      'tool name "look up" must match /^[a-zA-Z0-9_-]{1,64}$/',
      `tool name "${'x'.repeat(65)}" must match /^[a-zA-Z0-9_-]{1,64}$/`,
      'tool name "decision" is reserved',
      'tool name "lookupOrder" is used twice',
      'tool "scalar": parameters must be a zod object',
      expect.stringMatching(/^tool "dates": parameters cannot be expressed as JSON Schema/),
    ]);
    try {
      toolDefinitions([tool({ name: 'decision' })]);
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, 'INVALID_WORKFLOW')).toBe(true);
      expect((e as Error).message).toMatch(/"decision" is reserved/);
    }
  });
});

describe('runToolCall', () => {
  it('validates the arguments, runs the tool and feeds back its JSON', async () => {
    const { record, content } = await runToolCall([lookupOrder], {
      name: 'lookupOrder',
      arguments: '{"orderId":"ORD-7"}',
    });
    expect(record).toEqual({
      name: 'lookupOrder',
      arguments: { orderId: 'ORD-7' },
      ok: true,
      result: { orderId: 'ORD-7', status: 'shipped' },
      latencyMs: expect.any(Number),
    });
    expect(JSON.parse(content)).toEqual({ orderId: 'ORD-7', status: 'shipped' });
  });

  it('turns every failure into an error result instead of throwing', async () => {
    const run = async (tools: AgentTool[], args: string, name = 'lookupOrder', timeoutMs?: number) => {
      const out = await runToolCall(tools, { name, arguments: args }, timeoutMs ? { timeoutMs } : {});
      expect(out.record.ok).toBe(false);
      expect(JSON.parse(out.content)).toEqual({ error: out.record.error });
      return out.record;
    };
    expect((await run([lookupOrder], '{}', 'cancelOrder')).error).toBe(
      'no tool named "cancelOrder"; the tools are: lookupOrder',
    );
    expect(await run([lookupOrder], 'not json')).toMatchObject({
      arguments: 'not json',
      error: expect.stringMatching(/^the arguments are not valid JSON/),
    });
    let ran = 0;
    const counted = tool({ run: () => ++ran });
    expect(await run([counted], '{"orderId":"1234"}')).toMatchObject({
      arguments: { orderId: '1234' },
      error: expect.stringMatching(/^invalid arguments: orderId: /),
    });
    expect(ran).toBe(0);
    const throwing = tool({
      run: () => {
        throw new Error('order service down');
      },
    });
    expect((await run([throwing], '{"orderId":"ORD-1"}')).error).toBe('order service down');
    expect((await run([tool({ run: () => ({ n: 1n }) })], '{"orderId":"ORD-1"}')).error).toMatch(
      /result is not JSON-serialisable/,
    );
  });

  it('abandons a tool after its time limit and aborts its signal', async () => {
    let aborted = false;
    const slow = tool({
      run: (_args, { signal }) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
          setTimeout(resolve, 5000);
        }),
    });
    const { record } = await runToolCall(
      [slow],
      { name: 'lookupOrder', arguments: '{"orderId":"ORD-1"}' },
      {
        timeoutMs: 30,
      },
    );
    expect(record).toMatchObject({ ok: false, error: 'the tool timed out after 30 ms' });
    expect(record.latencyMs).toBeLessThan(1000);
    expect(aborted).toBe(true);
  });

  it("stops when the caller's signal aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    const { record } = await runToolCall(
      [tool({ run: () => new Promise(() => {}) })],
      { name: 'lookupOrder', arguments: '{"orderId":"ORD-1"}' },
      { signal: controller.signal },
    );
    expect(record).toMatchObject({ ok: false, error: 'the call was aborted by the caller' });
  });

  it('cuts a long result and feeds back null for no result', async () => {
    const big = tool({ run: () => ({ text: 'x'.repeat(10_000) }) });
    const { record, content } = await runToolCall([big], { name: 'lookupOrder', arguments: '{"orderId":"ORD-1"}' });
    expect(content.length).toBeLessThan(TOOL_RESULT_MAX_CHARS + 60);
    expect(content).toMatch(/…\[truncated: 10011 characters in all\]$/);
    expect(record.result).toBe(content);
    const none = await runToolCall([tool({ run: () => undefined })], { name: 'lookupOrder', arguments: '' });
    expect(none.record).toMatchObject({ ok: false }); // '' is {}: orderId is missing
    const nothing = await runToolCall([tool({ run: () => undefined })], {
      name: 'lookupOrder',
      arguments: '{"orderId":"ORD-1"}',
    });
    expect(nothing).toMatchObject({ record: { ok: true, result: null }, content: 'null' });
  });
});
