// What the OpenAI-compatible provider does on endpoints that lack something: json_schema output
// (a forced tool call, then JSON mode), log probabilities (self-consistency, or the verbalised
// rating when so configured), and `n` (separate sample requests). The real `openai` SDK against
// the fake endpoint over HTTP.
import { createOpenAIProvider, decisionJsonSchema, type OpenAIProviderOptions } from '@signoff/ai';
import { type AppErrorCode, isAppError } from '@signoff/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAnswer, type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

const AGENT = { name: 'support-triage', instructions: 'Classify the customer message.' };
const LABELS = ['refund', 'shipping', 'other'];
const TEXT = 'I want a refund for order 1234';

let t: TestDatabase;
let fake: FakeOpenAI;
/** What the fake model answers to a text; tests replace it. */
let answerFor: (text: string, labels: readonly string[]) => FakeAnswer;
const defaultAnswer = (text: string, labels: readonly string[]): FakeAnswer => ({
  label: labels.find((l) => text.includes(l)) ?? (labels[0] as string),
});

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeOpenAI({
    classify: (text, labels) => answerFor(text, labels),
    // Round numbers, so sums over samples are easy to check: 100 per prompt, 10 per answer.
    usage: (_body, choices) => ({ prompt_tokens: 100, completion_tokens: 10 * choices }),
  });
});
afterAll(async () => {
  await fake?.close();
  await t?.drop();
});
beforeEach(() => {
  fake.reset();
  fake.setFaults([]);
  fake.requests.length = 0;
  fake.probes.length = 0;
  answerFor = defaultAnswer;
});

const provider = (options: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0, ...options });

const request = (text = TEXT) => ({ agent: AGENT, labels: LABELS, text });

/** Which output mode each captured request used. */
const modes = () =>
  fake.requests.map((r) =>
    r.tools ? 'tool_call' : r.response_format?.type === 'json_object' ? 'json_object' : r.response_format?.type,
  );

async function expectAppError(p: Promise<unknown>, code: AppErrorCode, message: RegExp): Promise<Error> {
  const e = await p.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err as Error,
  );
  expect(isAppError(e) ? `${e.code}: ${e.message}` : String(e)).toMatch(new RegExp(`^${code}: .*${message.source}`));
  return e;
}

describe('structured output on endpoints without json_schema', () => {
  it('falls back to a forced tool call whose parameters are the decision schema, and stays there', async () => {
    fake.configure({ rejectJsonSchema: true });
    const p = provider();
    const r = await p.decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', outputMode: 'tool_call', confidenceMethod: 'logprobs' });
    // Log probabilities of the tool call's arguments measure the label the same way.
    expect(r.confidence).toBeCloseTo(0.9 / 0.99, 3);
    expect(modes()).toEqual(['json_schema', 'tool_call']);
    const call = fake.requests[1];
    expect(call?.response_format).toBeUndefined();
    expect(call?.tools).toEqual([
      {
        type: 'function',
        function: expect.objectContaining({ name: 'decision', strict: true, parameters: decisionJsonSchema(LABELS) }),
      },
    ]);
    expect(call?.tool_choice).toEqual({ type: 'function', function: { name: 'decision' } });
    expect(call).toMatchObject({ temperature: 0, logprobs: true });

    // The same instance remembers: the next decision goes straight to the tool call.
    fake.requests.length = 0;
    expect((await p.decide(t.db, request('where is my shipping label'))).label).toBe('shipping');
    expect(modes()).toEqual(['tool_call']);

    // Another instance finds out for itself.
    fake.requests.length = 0;
    await provider().decide(t.db, request());
    expect(modes()).toEqual(['json_schema', 'tool_call']);
  });

  it('falls back to JSON mode with the schema in the prompt when tools are refused too', async () => {
    fake.configure({ rejectJsonSchema: true, rejectTools: true });
    const p = provider();
    const r = await p.decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', outputMode: 'json_object', confidenceMethod: 'logprobs' });
    expect(modes()).toEqual(['json_schema', 'tool_call', 'json_object']);
    const system = fake.requests[2]?.messages?.[0];
    expect(system?.role).toBe('system');
    expect(String(system?.content)).toContain(AGENT.instructions);
    expect(String(system?.content)).toContain(JSON.stringify(decisionJsonSchema(LABELS)));

    fake.requests.length = 0;
    await p.decide(t.db, request());
    expect(modes()).toEqual(['json_object']);
  });

  it('validates the answer against the same schema in every mode', async () => {
    fake.configure({ rejectJsonSchema: true });
    fake.setFaults([{ kind: 'schema' }]);
    const viaTool = await expectAppError(provider().decide(t.db, request()), 'AI_INVALID_OUTPUT', /not_a_label/);
    expect(isAppError(viaTool) && viaTool.issues?.[0]?.path).toBe('output.label');

    fake.configure({ rejectTools: true });
    const viaJsonMode = await expectAppError(provider().decide(t.db, request()), 'AI_INVALID_OUTPUT', /not_a_label/);
    expect(isAppError(viaJsonMode) && viaJsonMode.issues?.[0]?.path).toBe('output.label');

    fake.setFaults([{ kind: 'malformed' }]);
    await expectAppError(provider().decide(t.db, request()), 'AI_INVALID_OUTPUT', /not one JSON object/);
  });

  it('does not fall back on a 400 about something else', async () => {
    fake.setFaults([{ kind: 'status', status: 400 }]);
    await expectAppError(provider().decide(t.db, request()), 'AI_UNAVAILABLE', /answered HTTP 400 \(not retried\)/);
    expect(modes()).toEqual(['json_schema']);
  });
});

describe('confidence without log probabilities', () => {
  beforeEach(() => fake.setFaults([{ kind: 'no-logprobs' }]));

  it('is the agreement rate of n samples drawn in one request, with the tokens of every request', async () => {
    answerFor = (text, labels) => ({ ...defaultAnswer(text, labels), agreement: 0.6 });
    const r = await provider().decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidence: 0.6, confidenceMethod: 'self-consistency' });
    // Its score: the logit of the smoothed agreement, (3 + 0.5) / (5 + 1).
    expect(r.score).toBeCloseTo(Math.log(3.5 / 2.5), 12);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]).toMatchObject({ temperature: 0, logprobs: true });
    expect(fake.requests[0]?.n).toBeUndefined();
    expect(fake.requests[1]).toMatchObject({ temperature: 0.7, n: 5 });
    // The first answer and five samples: two prompts, six answers.
    expect(r).toMatchObject({ tokensIn: 200, tokensOut: 60 });
    // gpt-4o-mini: 200 x $0.15 + 60 x $0.60 per million.
    expect(r.costUsd).toBeCloseTo((200 * 0.15 + 60 * 0.6) / 1e6, 12);
  });

  it('takes the label most samples agree on, even against the first answer', async () => {
    // Samples: refund, shipping, shipping, shipping, shipping.
    answerFor = () => ({ label: 'refund', agreement: 0.2, dissent: 'shipping', rationale: 'says refund' });
    const r = await provider().decide(t.db, request());
    expect(r).toMatchObject({ label: 'shipping', confidence: 0.8, confidenceMethod: 'self-consistency' });
    expect(r.rationale).toBe('The text reads like shipping.');
  });

  it("breaks a tie with the first answer's label", async () => {
    // First answer shipping; samples shipping, refund, shipping, refund. Label order or alphabet
    // would pick refund.
    answerFor = () => ({ label: 'shipping', agreement: 0.5, dissent: 'refund' });
    const r = await provider({ samples: 4 }).decide(t.db, request());
    expect(r).toMatchObject({ label: 'shipping', confidence: 0.5 });
    expect(fake.requests[1]).toMatchObject({ n: 4 });
  });

  it('makes that many requests when the endpoint ignores n, and remembers it', async () => {
    fake.configure({ ignoreN: true });
    answerFor = (text, labels) => ({ ...defaultAnswer(text, labels), agreement: 0.6 });
    const p = provider();
    const r = await p.decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidence: 0.6, confidenceMethod: 'self-consistency' });
    // The sampling probe learns it: n: 3 gets one answer back, so two more single requests.
    expect(fake.probes.map((b) => b.n ?? null)).toEqual([3, null, null]);
    // The first answer, then five single sample requests.
    expect(fake.requests.map((b) => b.n ?? null)).toEqual([null, null, null, null, null, null]);
    expect(r).toMatchObject({ tokensIn: 600, tokensOut: 60 });
    expect(p.capabilities()).toMatchObject({ n: 'ignored', temperature: 'honoured', confidence: 'self-consistency' });

    fake.requests.length = 0;
    fake.probes.length = 0;
    await p.decide(t.db, request('another refund'));
    expect(fake.requests.map((b) => b.n ?? null)).toEqual([null, null, null, null, null, null]);
    expect(fake.probes).toHaveLength(0);
  });

  it('makes that many requests when the endpoint refuses n, and remembers it', async () => {
    fake.configure({ rejectN: true });
    const p = provider();
    const r = await p.decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidence: 1, confidenceMethod: 'self-consistency' });
    // The sampling probe's n: 3 is refused (400 naming n): three single requests instead.
    expect(fake.probes.map((b) => b.n ?? null)).toEqual([3, null, null, null]);
    expect(fake.requests.map((b) => b.n ?? null)).toEqual([null, null, null, null, null, null]);
    expect(p.capabilities()).toMatchObject({ n: 'refused' });
    expect(p.capabilities()?.refusals).toEqual([
      { parameter: 'n', status: 400, message: 'fake: Only one completion choice is allowed' },
    ]);

    fake.requests.length = 0;
    fake.probes.length = 0;
    await p.decide(t.db, request());
    expect(fake.requests.map((b) => b.n ?? null)).toEqual([null, null, null, null, null, null]);
    expect(fake.probes).toHaveLength(0);
  });

  it('samples in the output mode that works', async () => {
    fake.configure({ rejectJsonSchema: true });
    const r = await provider({ samples: 3 }).decide(t.db, request());
    expect(r).toMatchObject({ outputMode: 'tool_call', confidenceMethod: 'self-consistency', confidence: 1 });
    expect(modes()).toEqual(['json_schema', 'tool_call', 'tool_call']);
    expect(fake.requests[2]).toMatchObject({ n: 3 });
  });

  it('counts an unusable sample as disagreeing', async () => {
    // Greedy answer fine; then the sample request answers off-schema in all of its choices.
    fake.setFaults([
      { kind: 'no-logprobs', times: 1 },
      { kind: 'schema', times: 1 },
    ]);
    const r = await provider({ samples: 3 }).decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidence: 0, confidenceMethod: 'self-consistency' });
    expect(r.score).toBeCloseTo(Math.log(0.5 / 3.5), 12);
  });

  it("uses the model's own rating, flagged verbalized, when configured so", async () => {
    const r = await provider({ confidenceFallback: 'verbalized' }).decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidence: 0.95, confidenceMethod: 'verbalized' });
    expect(r.score).toBeCloseTo(Math.log(0.95 / 0.05), 12);
    expect(fake.requests).toHaveLength(1);
  });

  it('draws no samples when there are log probabilities', async () => {
    fake.setFaults([]);
    const r = await provider().decide(t.db, request());
    expect(r.confidenceMethod).toBe('logprobs');
    expect(fake.requests).toHaveLength(1);
  });
});
