// The real `openai` SDK, through createOpenAIProvider, against a fake endpoint over real HTTP.
import { createHash } from 'node:crypto';
import { createOpenAIProvider, type OpenAIProviderOptions, promptVersion, selectProvider } from '@signoff/ai';
import { type AppErrorCode, isAppError } from '@signoff/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

const AGENT = { name: 'support-triage', instructions: 'Classify the customer message.' };
const LABELS = ['refund', 'shipping', 'other'];
const TEXT = 'I want a refund for order 1234';

let t: TestDatabase;
let fake: FakeOpenAI;
let answerProbability = 0.9;

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeOpenAI({
    classify: (text, labels) => ({
      label: labels.find((l) => text.includes(l)) ?? (labels[0] as string),
      probability: answerProbability,
    }),
  });
});
afterAll(async () => {
  await fake?.close();
  await t?.drop();
});
beforeEach(() => {
  fake.setFaults([]);
  fake.requests.length = 0;
  answerProbability = 0.9;
});

const provider = (options: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 2, ...options });

const decide = (options: Partial<OpenAIProviderOptions> = {}, extra: { signal?: AbortSignal } = {}) =>
  provider(options).decide(t.db, { agent: AGENT, labels: LABELS, text: TEXT, ...extra });

async function expectAppError(p: Promise<unknown>, code: AppErrorCode, message: RegExp): Promise<Error> {
  const e = await p.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err as Error,
  );
  expect(isAppError(e) ? `${e.code}: ${e.message}` : String(e)).toMatch(new RegExp(`^${code}: .*${message.source}`));
  return e;
}

/** Polls a condition (no fixed sleeps): resolves as soon as it holds, fails after the deadline. */
async function until(condition: () => boolean, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a normal answer', () => {
  it('is the label, a log-probability confidence and full provenance', async () => {
    const r = await decide();
    expect(r).toMatchObject({
      label: 'refund',
      confidenceMethod: 'logprobs',
      provider: 'openai',
      model: 'gpt-4o-mini',
      modelVersion: 'gpt-4o-mini-2024-07-18',
      promptVersion: promptVersion(AGENT.instructions, LABELS),
      inputHash: createHash('sha256').update(TEXT).digest('hex'),
      rationale: 'The text reads like refund.',
    });
    expect(r.confidence).toBeGreaterThan(0);
    expect(r.confidence).toBeLessThanOrEqual(1);
    // The fake gives the label's first token 0.9 and the other labels' first tokens 0.09 together.
    expect(r.confidence).toBeCloseTo(0.9 / 0.99, 3);
    // Its score: ln(0.9 / 0.09) less the label's later tokens' small logprobs.
    expect(r.score).toBeCloseTo(Math.log(10), 3);
    expect(r.promptVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(r.tokensIn).toBeGreaterThan(0);
    expect(r.tokensOut).toBeGreaterThan(0);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('sends a strict JSON schema, the instructions as system message, temperature 0 and logprobs', async () => {
    await decide();
    expect(fake.requests).toHaveLength(1);
    const body = fake.requests[0];
    expect(body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0,
      logprobs: true,
      top_logprobs: 5,
      messages: [
        { role: 'system', content: AGENT.instructions },
        { role: 'user', content: TEXT },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'decision', strict: true } },
    });
    expect(body?.response_format?.json_schema?.schema).toMatchObject({
      type: 'object',
      required: ['label', 'rationale', 'confidence'],
      additionalProperties: false,
      properties: { label: { type: 'string', enum: LABELS }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
    });
  });

  it('gives a less sure answer a lower confidence', async () => {
    const sure = await decide();
    answerProbability = 0.5;
    const unsure = await decide();
    expect(unsure.confidence).toBeLessThan(sure.confidence);
    expect(unsure.confidence).toBeCloseTo(0.5 / (0.5 + 0.45), 3);
  });

  it("uses the agent's model over the provider's default", async () => {
    const r = await provider({ model: 'gpt-4.1-nano' }).decide(t.db, {
      agent: { ...AGENT, model: 'my-vllm-model' },
      labels: LABELS,
      text: TEXT,
    });
    expect(fake.requests[0]?.model).toBe('my-vllm-model');
    expect(r).toMatchObject({ model: 'my-vllm-model', modelVersion: 'my-vllm-model-2024-07-18' });
  });

  it("falls back to the model's own confidence when there are no logprobs (verbalized fallback chosen)", async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const r = await decide({ confidenceFallback: 'verbalized' });
    expect(r).toMatchObject({ label: 'refund', confidence: 0.95, confidenceMethod: 'verbalized' });
  });
});

describe('transport faults', () => {
  it('retries a 429 and succeeds', async () => {
    fake.setFaults([{ kind: 'status', status: 429, retryAfter: 0, times: 1 }]);
    const r = await decide();
    expect(r.label).toBe('refund');
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a reset connection and succeeds', async () => {
    fake.setFaults([{ kind: 'reset', times: 1 }]);
    expect((await decide()).label).toBe('refund');
    expect(fake.requests).toHaveLength(2);
  });

  it('rides out random 503s within its retries', async () => {
    fake.setFaults([{ kind: 'status', status: 503, retryAfter: 0, rate: 0.4 }]);
    const results = await Promise.all(
      LABELS.flatMap((l) =>
        [1, 2, 3].map(() =>
          provider({ maxRetries: 8 }).decide(t.db, { agent: AGENT, labels: LABELS, text: `about ${l}` }),
        ),
      ),
    );
    expect(results.map((r) => r.label)).toEqual(LABELS.flatMap((l) => [l, l, l]));
    expect(fake.requests.length).toBeGreaterThan(results.length);
  });

  it('ends a persistent 500 in AI_UNAVAILABLE after all attempts', async () => {
    fake.setFaults([{ kind: 'status', status: 500, retryAfter: 0 }]);
    await expectAppError(decide(), 'AI_UNAVAILABLE', /answered HTTP 500 after 3 attempts/);
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry a 401', async () => {
    fake.setFaults([{ kind: 'status', status: 401 }]);
    await expectAppError(decide(), 'AI_UNAVAILABLE', /answered HTTP 401 \(not retried\)/);
    expect(fake.requests).toHaveLength(1);
  });

  it('ends persistent resets in AI_UNAVAILABLE', async () => {
    fake.setFaults([{ kind: 'reset' }]);
    await expectAppError(decide({ maxRetries: 1 }), 'AI_UNAVAILABLE', /could not connect to http:\/\/127\.0\.0\.1/);
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up on a hung request at its time limit: the endpoint sees the connection close unanswered', async () => {
    fake.setFaults([{ kind: 'hang' }]);
    const from = fake.timeline.length;
    const e = await expectAppError(
      decide({ timeoutMs: 300, maxRetries: 0 }),
      'AI_UNAVAILABLE',
      /timed out after 300 ms per attempt \(1 attempt\)$/,
    );
    // The SDK's own time-out, not a refused connection or an abort by the caller.
    expect((e.cause as object).constructor.name).toBe('APIConnectionTimeoutError');
    await until(() => fake.timeline.length === from + 2);
    expect(fake.timeline.slice(from)).toEqual(['received 0', 'closed 0']);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a request that timed out', async () => {
    fake.setFaults([{ kind: 'hang', times: 1 }]);
    expect((await decide({ timeoutMs: 300, maxRetries: 1 })).label).toBe('refund');
    expect(fake.requests).toHaveLength(2);
  });

  it('stops waiting when the caller aborts, with AI_UNAVAILABLE', async () => {
    fake.setFaults([{ kind: 'hang' }]);
    const controller = new AbortController();
    const pending = decide({}, { signal: controller.signal });
    await until(() => fake.requests.length === 1);
    controller.abort();
    await expectAppError(pending, 'AI_UNAVAILABLE', /aborted by the caller/);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('unusable answers', () => {
  it('rejects content that is not JSON after one repair request quoting the error, and no more', async () => {
    fake.setFaults([{ kind: 'malformed' }]);
    await expectAppError(
      decide(),
      'AI_INVALID_OUTPUT',
      /not one JSON object \(it holds no JSON object\).*Sure! The answer is refund.*also after one repair request/,
    );
    expect(fake.requests).toHaveLength(2);
    // The repair request: the bad answer as the assistant's, then the validation error quoted.
    const repair = fake.requests[1]?.messages ?? [];
    expect(repair.at(-2)).toMatchObject({ role: 'assistant', content: 'Sure! The answer is refund.' });
    expect(repair.at(-1)?.role).toBe('user');
    expect(String(repair.at(-1)?.content)).toContain('model output is not one JSON object (it holds no JSON object)');
    expect(fake.requests[1]).toMatchObject({ temperature: 0 });
  });

  it('takes a repaired answer, and says so in the confidence note', async () => {
    fake.setFaults([{ kind: 'schema', times: 1 }]);
    const r = await decide();
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'logprobs' });
    expect(r.confidenceNote).toMatch(/^answer repaired after: .*label "not_a_label" is not one of/);
    expect(fake.requests).toHaveLength(2);
  });

  it('rejects a label that was not offered', async () => {
    fake.setFaults([{ kind: 'schema' }]);
    const e = await expectAppError(
      decide(),
      'AI_INVALID_OUTPUT',
      /label "not_a_label" is not one of.*refund, shipping, other/,
    );
    expect(isAppError(e) && e.issues?.[0]?.path).toBe('output.label');
  });

  it('rejects a refusal', async () => {
    fake.setFaults([{ kind: 'refusal' }]);
    await expectAppError(decide(), 'AI_INVALID_OUTPUT', /refused to answer: "I'm sorry/);
  });
});

describe('selectProvider', () => {
  it('chooses the OpenAI-compatible endpoint when a key is set, else the local model', async () => {
    const openai = selectProvider({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url, OPENAI_MODEL: 'tiny' });
    expect(openai.name).toBe('openai');
    expect((await openai.decide(t.db, { agent: AGENT, labels: LABELS, text: TEXT })).model).toBe('tiny');
    expect(selectProvider({}).name).toBe('local');
    expect(selectProvider({ OPENAI_API_KEY: '  ', OPENAI_BASE_URL: fake.url }).name).toBe('local');
  });
});
