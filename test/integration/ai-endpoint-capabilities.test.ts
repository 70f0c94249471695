// What the OpenAI-compatible provider learns about an endpoint and what it does with it (issue 9):
// a refusal that names a parameter drops that parameter, once for all concurrent calls; a
// deterministic or caching endpoint cannot fake self-consistency; JSON in a code fence is read; a
// bad answer is asked again once, quoting the error; failures carry the endpoint's own words; the
// settings come from the agent and the environment. The real `openai` SDK against the fake
// endpoint over HTTP.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  aiEnv,
  createOpenAIProvider,
  extractJsonObject,
  listCapabilities,
  type OpenAIProviderOptions,
  providerOptionsFromEnv,
} from '@signoff/ai';
import { type AgentSpec, isAppError } from '@signoff/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

const AGENT: AgentSpec = { name: 'support-triage', instructions: 'Classify the customer message.' };
const LABELS = ['refund', 'shipping', 'other'];

let t: TestDatabase;
let fake: FakeOpenAI;

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeOpenAI();
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
});

const provider = (options: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0, ...options });
const request = (text = 'I want a refund for order 1234', agent: AgentSpec = AGENT) => ({
  agent,
  labels: LABELS,
  text,
});
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );

describe('refused parameters', () => {
  it('drops logprobs after a 400 naming them, and 30 concurrent calls pay for that refusal once', async () => {
    fake.configure({ rejectLogprobs: true });
    const p = provider({ confidenceFallback: 'verbalized' });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => p.decide(t.db, request(`refund number ${i}`))),
    );
    expect(results.map((r) => r.label)).toEqual(Array(30).fill('refund'));
    // One refused request (the first call, alone), then 30 answers without logprobs.
    expect(fake.requests.filter((r) => r.logprobs !== undefined)).toHaveLength(1);
    expect(fake.requests).toHaveLength(31);
    expect(results[0]).toMatchObject({ confidenceMethod: 'verbalized', confidence: 0.95 });
    expect(results[0]?.confidenceNote).toBe(
      "the endpoint refuses logprobs; the model's own rating is used (confidenceFallback: verbalized)",
    );
    expect(p.capabilities()).toMatchObject({ logprobs: 'refused', jsonSchema: 'honoured', outputMode: 'json_schema' });
    expect(p.capabilities()?.refusals).toEqual([
      { parameter: 'logprobs', status: 400, message: 'fake: logprobs is not supported by this model' },
    ]);
  });

  it('lets a call that waits behind the first one give up, without a request', async () => {
    const p = provider();
    fake.hold();
    const first = p.decide(t.db, request('refund 1'));
    const deadline = Date.now() + 5000;
    while (fake.held < 1) {
      if (Date.now() > deadline) throw new Error('the first request never arrived');
      await new Promise((r) => setTimeout(r, 2));
    }
    const controller = new AbortController();
    const second = p.decide(t.db, { ...request('refund 2'), signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    const e = await second;
    expect(isAppError(e, 'AI_UNAVAILABLE') && e.ai?.kind).toBe('aborted');
    fake.release();
    expect((await first).label).toBe('refund');
    expect(fake.requests).toHaveLength(1);
  });

  it('drops temperature after a 400 naming it, and samples at the endpoint default', async () => {
    fake.configure({ rejectTemperature: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const p = provider({ samples: 3 });
    const r = await p.decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'self-consistency', confidence: 1 });
    expect(fake.requests[0]?.temperature).toBe(0);
    expect(fake.requests.slice(1).map((b) => b.temperature)).toEqual([undefined, undefined]);
    expect(fake.probes.map((b) => b.temperature)).toEqual([undefined]);
    expect(p.capabilities()).toMatchObject({ temperature: 'refused' });
  });

  it('says what the endpoint said when the refusal names nothing it can do without', async () => {
    fake.setFaults([{ kind: 'status', status: 400 }]);
    const e = await failureOf(provider().decide(t.db, request()));
    expect(isAppError(e, 'AI_UNAVAILABLE') && e.ai).toEqual({
      kind: 'http_error',
      provider: 'openai',
      endpoint: fake.url,
      model: 'gpt-4o-mini',
      status: 400,
      providerMessage: 'fake: injected HTTP 400',
    });
    expect((e as Error).message).toContain('answered HTTP 400 (not retried): "fake: injected HTTP 400"');
  });
});

describe("errors in other servers' shapes", () => {
  it("reads vLLM's top-level error body: the refusal is recognised by its message and quoted", async () => {
    // vLLM's OpenAI server answers errors as {"object": "error", "message": ...}, not {"error": {...}}.
    const said = "logprobs is not supported with this model's sampler";
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as { logprobs?: boolean; model: string };
        res.setHeader('content-type', 'application/json');
        if (body.logprobs) {
          res.statusCode = 400;
          return res.end(
            JSON.stringify({ object: 'error', message: said, type: 'BadRequestError', param: null, code: 400 }),
          );
        }
        res.end(
          JSON.stringify({
            id: `chatcmpl-${Math.random()}`,
            object: 'chat.completion',
            created: 1,
            model: body.model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: '{"label":"refund","rationale":"asks","confidence":0.8}' },
                finish_reason: 'stop',
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const p = createOpenAIProvider({ apiKey: 'x', baseURL: url, maxRetries: 0, confidenceFallback: 'verbalized' });
      const r = await p.decide(t.db, request());
      expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'verbalized', confidence: 0.8 });
      expect(p.capabilities()?.refusals).toEqual([{ parameter: 'logprobs', status: 400, message: said }]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('confidence a deterministic endpoint cannot fake', () => {
  it('is unavailable on an endpoint that ignores temperature and n: no 1.0, no samples drawn', async () => {
    fake.configure({ deterministic: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const p = provider();
    const r = await p.decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'unavailable', confidence: 0 });
    expect(r.score).toBe(Number.NEGATIVE_INFINITY);
    expect(r.confidenceNote).toMatch(/^the endpoint returned no log probabilities, and self-consistency is impossible/);
    // The sampling probe saw three identical answers; no sample was drawn for the decision.
    expect(fake.probes).toHaveLength(3);
    expect(fake.requests).toHaveLength(1);
    expect(p.capabilities()).toMatchObject({ temperature: 'ignored', n: 'ignored', confidence: 'unavailable' });

    // Known from then on: one request per decision.
    fake.requests.length = 0;
    fake.probes.length = 0;
    expect((await p.decide(t.db, request('refund again'))).confidenceMethod).toBe('unavailable');
    expect(fake.requests).toHaveLength(1);
    expect(fake.probes).toHaveLength(0);
  });

  it("uses the model's own rating instead when the agent opts in, flagged in the note", async () => {
    fake.configure({ deterministic: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const agent: AgentSpec = { ...AGENT, ai: { whenConfidenceUnavailable: 'verbalized' } };
    const r = await provider().decide(t.db, request(undefined, agent));
    expect(r).toMatchObject({ confidenceMethod: 'verbalized', confidence: 0.95 });
    expect(r.confidenceNote).toMatch(
      /self-consistency is impossible.*; the model's own rating is used instead \(whenConfidenceUnavailable: verbalized\)$/,
    );
  });

  it('is unavailable when a draw gets a completion served twice (a cache), though the probe saw samples vary', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const p = provider({ samples: 3 });
    expect((await p.decide(t.db, request('refund first'))).confidenceMethod).toBe('self-consistency');
    // A caching gateway appears in front: the top-up sample requests get the same completion.
    fake.configure({ deterministic: true });
    const r = await p.decide(t.db, request('refund second'));
    expect(r).toMatchObject({ confidenceMethod: 'unavailable', confidence: 0 });
    expect(r.confidenceNote).toMatch(/served completion chatcmpl-fake\w+ again \(a cache\)/);
    // The endpoint itself samples (the probe said so): only the draws a cache served are void.
    expect(p.capabilities()).toMatchObject({ temperature: 'honoured' });
  });

  it('judges each draw when the endpoint will not take the sampling probe, and asks the probe once', async () => {
    fake.configure({ rejectFreeText: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const p = provider({ samples: 5 });
    // Samples identical to the first answer, on an endpoint never shown to vary: no confidence.
    const same = await p.decide(t.db, request('refund one'));
    expect(same).toMatchObject({ confidenceMethod: 'unavailable', confidence: 0 });
    expect(same.confidenceNote).toMatch(/every sample was identical to the first answer$/);
    // Samples that disagree do vary: their agreement is the confidence.
    fake.configure({ agreement: 0.6 });
    const varied = await p.decide(t.db, request('refund two'));
    expect(varied).toMatchObject({ confidenceMethod: 'self-consistency', confidence: 0.6 });
    expect(fake.probes).toHaveLength(1);
  });

  it('trusts samples that vary on an endpoint that samples', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const p = provider({ samples: 5 });
    const r = await p.decide(t.db, request());
    expect(r).toMatchObject({ confidenceMethod: 'self-consistency', confidence: 1 });
    expect(r.confidenceNote).toBe('the endpoint returned no log probabilities; agreement of 5 samples');
    expect(p.capabilities()).toMatchObject({ temperature: 'honoured', n: 'honoured', confidence: 'self-consistency' });
  });

  it('does not use log probabilities without alternatives, which would score every label 1.0', async () => {
    fake.configure({ logprobsWithoutAlternatives: true });
    const r = await provider({ samples: 3 }).decide(t.db, request());
    expect(r.confidenceMethod).toBe('self-consistency');
    expect(r.confidenceNote).toMatch(/^the log probabilities list no alternative tokens \(top_logprobs\)/);
  });

  it('records why log probabilities that do not spell the answer were not used', async () => {
    fake.configure({ logprobsOfOtherText: true });
    const r = await provider({ samples: 3 }).decide(t.db, request());
    expect(r.confidenceMethod).toBe('self-consistency');
    expect(r.confidenceNote).toMatch(/^the log probabilities do not spell the answer/);
  });
});

describe('lenient but safe parsing', () => {
  it('reads the JSON object out of a code fence with prose before it', async () => {
    fake.configure({ fenced: true });
    const r = await provider({ confidenceFallback: 'verbalized' }).decide(t.db, request());
    expect(r).toMatchObject({ label: 'refund', confidenceMethod: 'verbalized', outputMode: 'json_schema' });
    expect(fake.requests).toHaveLength(1);
  });

  it('takes one object among prose, and refuses to pick among several or a cut one', () => {
    const one = '{"label":"refund","rationale":"r","confidence":0.9}';
    expect(extractJsonObject(one)).toEqual({ json: one });
    expect(extractJsonObject(`Sure.\n\`\`\`json\n${one}\n\`\`\``)).toEqual({ json: one, lenient: 'code fence' });
    expect(extractJsonObject(`The answer: ${one} Hope this helps {not json`)).toEqual({
      error: 'a JSON object in it is cut short',
    });
    expect(extractJsonObject(`The answer: ${one}. Hope this helps!`)).toEqual({
      json: one,
      lenient: 'prose around it',
    });
    expect(extractJsonObject(`${one}\n${one}`)).toEqual({ error: 'it holds 2 JSON objects, not one' });
    expect(extractJsonObject('I think it is a refund.')).toEqual({ error: 'it holds no JSON object' });
    expect(extractJsonObject('{"label": "refund", "note": "a } in a string"}')).toEqual({
      json: '{"label": "refund", "note": "a } in a string"}',
    });
  });
});

describe('settings per agent', () => {
  it('draws the agent’s number of samples and prices its model at the agent’s price', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const agent: AgentSpec = {
      ...AGENT,
      model: 'house-model',
      ai: { samples: 3, pricing: { inputPerMillion: 1000, outputPerMillion: 2000 } },
    };
    const r = await provider({ samples: 7 }).decide(t.db, request(undefined, agent));
    expect(fake.requests[1]).toMatchObject({ n: 3 });
    expect(r.tokensIn).toBeGreaterThan(0);
    expect(r.costUsd).toBeCloseTo(((r.tokensIn ?? 0) * 1000 + (r.tokensOut ?? 0) * 2000) / 1e6, 12);
  });

  it("holds the agent's requests to its own concurrency, within the provider's", async () => {
    const p = provider({ maxConcurrency: 8 });
    const agent: AgentSpec = { ...AGENT, ai: { maxConcurrency: 2 } };
    await p.decide(t.db, request('warm-up refund', agent)); // the first call goes alone anyway
    fake.requests.length = 0;
    fake.hold();
    const all = Promise.all([0, 1, 2, 3, 4].map((i) => p.decide(t.db, request(`refund ${i}`, agent))));
    const deadline = Date.now() + 5000;
    for (let answered = 0; answered < 5; answered++) {
      const inFlight = Math.min(2, 5 - answered);
      while (fake.held !== inFlight) {
        if (Date.now() > deadline) throw new Error(`expected ${inFlight} held, saw ${fake.held}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(fake.requests).toHaveLength(answered + inFlight);
      fake.release(1);
    }
    expect((await all).map((r) => r.label)).toEqual(Array(5).fill('refund'));
  });

  it('goes without any confidence when the agent says review', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const agent: AgentSpec = { ...AGENT, ai: { confidenceFallback: 'review' } };
    const r = await provider().decide(t.db, request(undefined, agent));
    expect(r).toMatchObject({ confidenceMethod: 'unavailable', confidence: 0 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.probes).toHaveLength(0);
  });

  it('gives up at the agent’s time limit per attempt', async () => {
    fake.setFaults([{ kind: 'hang' }]);
    const agent: AgentSpec = { ...AGENT, ai: { timeoutMs: 150 } };
    const e = await failureOf(provider({ timeoutMs: 60_000 }).decide(t.db, request(undefined, agent)));
    expect(isAppError(e, 'AI_UNAVAILABLE') && e.ai?.kind).toBe('timeout');
    expect((e as Error).message).toMatch(/timed out after 150 ms per attempt/);
  });
});

describe('settings from the environment', () => {
  it('reads every SIGNOFF_AI_* variable into provider options', () => {
    const env = aiEnv.parse({
      OPENAI_API_KEY: 'sk-x',
      OPENAI_BASE_URL: 'http://gateway.internal/v1',
      OPENAI_MODEL: 'llama-3.1-8b',
      SIGNOFF_AI_TIMEOUT_MS: '12000',
      SIGNOFF_AI_MAX_RETRIES: '0',
      SIGNOFF_AI_MAX_CONCURRENCY: '16',
      SIGNOFF_AI_TOKENS_PER_MINUTE: '90000',
      SIGNOFF_AI_SAMPLES: '7',
      SIGNOFF_AI_SAMPLE_TEMPERATURE: '0.9',
      SIGNOFF_AI_CONFIDENCE_FALLBACK: 'verbalized',
      SIGNOFF_AI_WHEN_CONFIDENCE_UNAVAILABLE: 'verbalized',
      SIGNOFF_AI_PRICING: '{"llama-3.1-8b": {"inputPerMillion": 0.05, "outputPerMillion": 0.1}}',
    });
    expect(providerOptionsFromEnv(env)).toEqual({
      baseURL: 'http://gateway.internal/v1',
      model: 'llama-3.1-8b',
      timeoutMs: 12000,
      maxRetries: 0,
      maxConcurrency: 16,
      tokensPerMinute: 90000,
      samples: 7,
      sampleTemperature: 0.9,
      confidenceFallback: 'verbalized',
      whenConfidenceUnavailable: 'verbalized',
      pricing: { 'llama-3.1-8b': { inputPerMillion: 0.05, outputPerMillion: 0.1 } },
    });
  });

  it('names the variable and what it expects when a value is unusable', () => {
    const messages = (vars: Record<string, string>) => {
      const r = aiEnv.safeParse(vars);
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(messages({ SIGNOFF_AI_SAMPLES: '0' })).toEqual(['SIGNOFF_AI_SAMPLES must be at least 1']);
    expect(messages({ SIGNOFF_AI_CONFIDENCE_FALLBACK: 'guess' })).toEqual([
      'SIGNOFF_AI_CONFIDENCE_FALLBACK must be self-consistency, verbalized or review',
    ]);
    expect(messages({ SIGNOFF_AI_PRICING: '{"m": {"inputPerMillion": -1, "outputPerMillion": 1}}' })).toEqual([
      'SIGNOFF_AI_PRICING.m.inputPerMillion: inputPerMillion must be >= 0 (US dollars per million input tokens)',
    ]);
    expect(messages({ SIGNOFF_AI_PRICING: 'cheap' })[0]).toMatch(/^SIGNOFF_AI_PRICING must be JSON/);
  });
});

describe('probe', () => {
  it('finds what a full-featured endpoint honours, and stores it', async () => {
    const caps = await provider().probe(t.db, 'probe-model');
    expect(caps).toMatchObject({
      endpoint: fake.url,
      model: 'probe-model',
      modelVersion: 'probe-model-2024-07-18',
      outputMode: 'json_schema',
      jsonSchema: 'honoured',
      tools: 'honoured',
      jsonMode: 'honoured',
      logprobs: 'honoured',
      confidence: 'logprobs',
      refusals: [],
    });
    expect(caps.probedAt).not.toBeNull();
    const stored = (await listCapabilities(t.db)).find((c) => c.model === 'probe-model');
    expect(stored).toEqual(caps);
  });

  it('finds what a llama.cpp-like endpoint refuses: json_schema, n, and gives no logprobs', async () => {
    fake.configure({ rejectJsonSchema: true, rejectN: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const caps = await provider().probe(t.db, 'llama-like');
    expect(caps).toMatchObject({
      outputMode: 'tool_call',
      jsonSchema: 'refused',
      tools: 'honoured',
      jsonMode: 'honoured',
      logprobs: 'ignored',
      n: 'refused',
      temperature: 'honoured',
      confidence: 'self-consistency',
    });
    expect(caps.refusals.map((r) => r.parameter)).toEqual(['response_format', 'n']);
  });
});
