// The OpenAI-compatible provider (createOpenAIProvider, the real `openai` SDK, real HTTP) against a
// server we did not write: @dwmkerr/mock-llm, configured to answer like OpenAI, an OpenAI reasoning
// model, vLLM, the llama.cpp server, Ollama, a deterministic caching gateway, and models that wrap
// their JSON in prose or answer in words (test/support/mock-llm-profiles.ts). The expectations are
// issue 9's, written from what each server does, not from what the provider happened to do.
import { createOpenAIProvider, type DecideResult, OUTPUT_MODES } from '@signoff/ai';
import { type AppErrorCode, isAppError } from '@signoff/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { type MockLlm, type RecordedRequest, startMockLlm } from '../support/mock-llm';
import { MOCK_LABELS, type MockProfile, TOPICS, type Topic, topicText } from '../support/mock-llm-profiles';

const AGENT = { name: 'interop-triage', instructions: 'Classify the customer message.' };

let t: TestDatabase;
let mock: MockLlm;

beforeAll(async () => {
  [t, mock] = await Promise.all([createTestDatabase(), startMockLlm()]);
});
afterAll(async () => {
  await mock?.close();
  await t?.drop();
});

/** A provider of its own (nothing learnt yet about the endpoint), no SDK retries. */
const provider = () =>
  createOpenAIProvider({
    apiKey: 'sk-interop',
    baseURL: mock.url,
    model: 'mock-model',
    timeoutMs: 5000,
    maxRetries: 0,
  });

type Provider = ReturnType<typeof provider>;
const decide = (p: Provider, topic: Topic, i = 1): Promise<DecideResult> =>
  p.decide(t.db, { agent: AGENT, labels: MOCK_LABELS, text: topicText(topic, i) });

/** The output mode each recorded request asked for. */
const modeOf = (r: RecordedRequest) =>
  r.tools ? 'tool_call' : r.response_format?.type === 'json_object' ? 'json_object' : r.response_format?.type;

async function failure(p: Promise<unknown>): Promise<{ code: AppErrorCode; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isAppError(e)) throw new Error(`expected an AppError, got ${String(e)}`);
  return { code: e.code, message: e.message };
}

function useProfile(profile: MockProfile) {
  beforeAll(() => mock.use(profile));
}

describe('openai: json_schema, logprobs, n, temperature', () => {
  useProfile('openai');

  it('decides from the log probabilities of the label in one request', async () => {
    const r = await decide(provider(), 'refund');
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'logprobs', outputMode: 'json_schema' });
    // 0.98 against 0.015 + 0.005 for the other labels' first tokens.
    expect(r.confidence).toBeCloseTo(0.98, 3);
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({
      temperature: 0,
      logprobs: true,
      response_format: { type: 'json_schema', json_schema: { name: 'decision', strict: true } },
    });
  });

  it('gives an uncertain answer the confidence its log probabilities say', async () => {
    const r = await decide(provider(), 'unsure');
    expect(r).toMatchObject({ label: 'other', confidenceMethod: 'logprobs' });
    expect(r.confidence).toBeCloseTo(TOPICS.unsure.p, 3);
  });
});

describe('openai-reasoning: refuses logprobs and any temperature but 1, with 400 naming the parameter', () => {
  useProfile('openai-reasoning');

  it('retries without logprobs and temperature, then measures self-consistency of n samples', async () => {
    const p = provider();
    const r = await decide(p, 'refund');
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'self-consistency', outputMode: 'json_schema' });
    expect(r.confidence).toBe(1);

    // What it learnt sticks: the next decision sends neither parameter.
    mock.requests.length = 0;
    const unsure = await decide(p, 'unsure');
    expect(unsure).toMatchObject({ label: 'other', confidenceMethod: 'self-consistency', confidence: 0.6 });
    expect(mock.requests.every((q) => q.logprobs == null && (q.temperature == null || q.temperature === 1))).toBe(true);
  });
});

describe('vllm: json_schema, logprobs over labels in two tokens, n', () => {
  useProfile('vllm');

  it('decides from the joint log probability of the label tokens', async () => {
    const r = await decide(provider(), 'parcel');
    expect(r).toMatchObject({ label: 'shipping', confidenceMethod: 'logprobs', outputMode: 'json_schema' });
    expect(r.confidence).toBeCloseTo(0.97, 2);
    expect(mock.requests).toHaveLength(1);
  });

  it('gives an uncertain answer a low confidence', async () => {
    const r = await decide(provider(), 'unsure');
    expect(r).toMatchObject({ label: 'other', confidenceMethod: 'logprobs' });
    expect(r.confidence).toBeLessThan(0.9);
  });
});

describe("vllm-0.5: json_schema refused in vLLM's old top-level error shape; forced tool calls honoured", () => {
  useProfile('vllm-0.5');

  it('falls back to a forced tool call and decides from its log probabilities', async () => {
    const r = await decide(provider(), 'refund');
    expect(r).toMatchObject({ label: 'refund', outputMode: 'tool_call', confidenceMethod: 'logprobs' });
    expect(r.confidence).toBeCloseTo(0.98, 2);
    expect(mock.requests.map(modeOf)).toEqual(['json_schema', 'tool_call']);
  });
});

describe('llamacpp: no json_schema, no tools, no n, no OpenAI-style logprobs', () => {
  useProfile('llamacpp');

  it('falls back to JSON mode and to one request per sample, and remembers both', async () => {
    const p = provider();
    const r = await decide(p, 'refund');
    expect(r).toMatchObject({ label: 'refund', outputMode: 'json_object', confidenceMethod: 'self-consistency' });
    expect(r.confidence).toBe(1);
    // Each refusal was met once: json_schema, then the tool call, then n.
    expect(mock.requests.filter((q) => modeOf(q) === 'json_schema')).toHaveLength(1);
    expect(mock.requests.filter((q) => modeOf(q) === 'tool_call')).toHaveLength(1);
    expect(mock.requests.some((q) => (q.n ?? 1) > 1)).toBe(true);

    // The next decision goes straight to JSON mode and never asks for n.
    mock.requests.length = 0;
    const unsure = await decide(p, 'unsure');
    expect(unsure).toMatchObject({ label: 'other', outputMode: 'json_object', confidenceMethod: 'self-consistency' });
    expect(unsure.confidence).toBeCloseTo(0.6, 10);
    expect(mock.requests.filter((q) => q.response_format || q.tools).map(modeOf)).toEqual(Array(6).fill('json_object'));
    expect(mock.requests.every((q) => (q.n ?? 1) === 1)).toBe(true);
  });
});

describe('llamacpp-500: the same refusals as HTTP 500 server_error', () => {
  useProfile('llamacpp-500');

  it('fails with AI_UNAVAILABLE that quotes what the server refused', async () => {
    const f = await failure(decide(provider(), 'refund'));
    expect(f.code).toBe('AI_UNAVAILABLE');
    expect(f.message).toMatch(/answered HTTP 500/);
    expect(f.message).toContain('but got: json_schema');
  });
});

describe('ollama: json_schema, n and logprobs ignored, ids that repeat', () => {
  useProfile('ollama');

  it('tops up the one choice it gets with separate sample requests, and remembers that n is ignored', async () => {
    const p = provider();
    const r = await decide(p, 'parcel');
    expect(r).toMatchObject({ label: 'shipping', outputMode: 'json_schema', confidenceMethod: 'self-consistency' });
    expect(r.confidence).toBe(1);
    expect(mock.requests.some((q) => (q.n ?? 1) > 1)).toBe(true);

    mock.requests.length = 0;
    const unsure = await decide(p, 'unsure');
    expect(unsure).toMatchObject({ label: 'other', confidenceMethod: 'self-consistency' });
    expect(unsure.confidence).toBeCloseTo(0.6, 10);
    // The first answer and five separate samples.
    expect(mock.requests.map((q) => q.n ?? null)).toEqual(Array(6).fill(null));
  });

  it('is not taken for a cache because its ids repeat: the answers vary', async () => {
    const p = provider();
    // Two decisions of the same topic: the same greedy id twice, as Ollama's 999 ids allow.
    for (const i of [1, 2]) {
      const r = await decide(p, 'refund', i);
      expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'self-consistency', confidence: 1 });
    }
  });
});

describe('litellm: UnsupportedParamsError (HTTP 400) naming logprobs and n in its message', () => {
  useProfile('litellm');

  it('retries without logprobs, then samples one request at a time', async () => {
    const p = provider();
    const r = await decide(p, 'refund');
    expect(r).toMatchObject({ label: 'refund', outputMode: 'json_schema', confidenceMethod: 'self-consistency' });
    expect(r.confidence).toBe(1);

    mock.requests.length = 0;
    const unsure = await decide(p, 'unsure');
    expect(unsure).toMatchObject({ label: 'other', confidenceMethod: 'self-consistency' });
    expect(unsure.confidence).toBeCloseTo(0.6, 10);
    // Learnt: neither logprobs nor n again.
    expect(mock.requests.every((q) => q.logprobs == null && q.top_logprobs == null && q.n == null)).toBe(true);
  });
});

describe('caching-gateway: one stored answer per prompt, whatever the temperature or n', () => {
  useProfile('caching-gateway');

  it('gives no confidence: method unavailable, with a note, never self-consistency 1.0', async () => {
    const r = await decide(provider(), 'refund');
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'unavailable', confidence: 0 });
    expect(r.outputMode).toBe('json_schema');
    expect(r.confidenceNote).toMatch(/determinis|identical|cach/i);
  });
});

describe('fenced-json: JSON in a ```json fence after prose, or one JSON object with prose around it', () => {
  useProfile('fenced-json');

  it('reads the decision out of the fence', async () => {
    const r = await decide(provider(), 'refund');
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'self-consistency' });
    expect(OUTPUT_MODES).toContain(r.outputMode);
  });

  it('reads the one JSON object out of the prose around it', async () => {
    const r = await decide(provider(), 'parcel');
    expect(r).toMatchObject({ label: 'shipping', confidenceMethod: 'self-consistency' });
  });
});

describe('plain-text: words, no JSON at all', () => {
  useProfile('plain-text');

  it('is AI_INVALID_OUTPUT, quoting what the model said', async () => {
    const f = await failure(decide(provider(), 'refund'));
    expect(f.code).toBe('AI_INVALID_OUTPUT');
    expect(f.message).toMatch(/JSON/);
    expect(f.message).toContain('I would file this under refund');
  });
});
