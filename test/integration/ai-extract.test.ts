// Structured answers (extraction) from the OpenAI-compatible provider, through the real `openai`
// SDK and the fake endpoint over HTTP: the strict JSON schema sent, per-field confidence from the
// log probabilities of each value's tokens, one repair quoting the validation error, and the
// fallbacks (output modes, self-consistency field by field, unavailable). Expected confidences are
// worked out by hand from the probabilities the fake model is given.
import { createOpenAIProvider, type OpenAIDecisionProvider } from '@signoff/ai';
import { type AgentTool, isAppError, outputFields, outputJsonSchema } from '@signoff/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeExtraction, type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

const AGENT = { name: 'invoice-reader', instructions: 'Read the invoice and fill in its fields.' };
const invoice = z.object({
  vendor: z.object({
    name: z.string().describe('Legal name of the vendor'),
    taxId: z.string().regex(/^\d{2}-\d{7}$/),
  }),
  total: z.number(),
  currency: z.enum(['USD', 'EUR', 'GBP']),
  paid: z.boolean(),
  note: z.string().optional(),
});
const VALUE = {
  vendor: { name: 'Acme Corp', taxId: '12-3456789' },
  total: 1250.5,
  currency: 'EUR',
  paid: false,
  note: null,
};
const PARSED = { vendor: { name: 'Acme Corp', taxId: '12-3456789' }, total: 1250.5, currency: 'EUR', paid: false };
const LEAVES = ['vendor.name', 'vendor.taxId', 'total', 'currency', 'paid', 'note'];
const TEXT = 'INVOICE 2026-118 from Acme Corp (EIN 12-3456789). Total due: EUR 1,250.50.';

let t: TestDatabase;
let fake: FakeOpenAI;
let answer: FakeExtraction = { value: VALUE };
beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeOpenAI({ extract: () => answer });
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
  answer = { value: VALUE };
});

const provider = (options: Partial<Parameters<typeof createOpenAIProvider>[0]> = {}): OpenAIDecisionProvider =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, maxRetries: 0, ...options });
const request = (agent: Record<string, unknown> = {}) => ({
  agent: { ...AGENT, ...agent },
  schema: invoice,
  fields: outputFields(invoice),
  jsonSchema: outputJsonSchema(invoice),
  text: TEXT,
});

describe('structured answers with log probabilities', () => {
  it('sends the strict JSON schema at temperature 0 with logprobs, and weighs each field by its own tokens', async () => {
    answer = {
      value: VALUE,
      probability: { 'vendor.taxId': 0.8, currency: 0.7 },
      // USD is another option of the enum; "zz" leads to none, so the strict schema rules it out.
      alternatives: {
        currency: [
          ['USD', 0.2],
          ['zz', 0.1],
        ],
      },
    };
    const r = await provider().extract(t.db, request());
    const sent = fake.requests[0];
    expect(sent).toMatchObject({ temperature: 0, logprobs: true, top_logprobs: 5 });
    expect(sent?.messages?.[0]).toEqual({ role: 'system', content: AGENT.instructions });
    expect(sent?.messages?.[1]).toEqual({ role: 'user', content: TEXT });
    const format = sent?.response_format as {
      type: string;
      json_schema: { name: string; strict: boolean; schema: Record<string, unknown> };
    };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.strict).toBe(true);
    expect(format.json_schema.schema).toMatchObject({
      type: 'object',
      required: ['vendor', 'total', 'currency', 'paid', 'note'],
      additionalProperties: false,
      properties: {
        vendor: { required: ['name', 'taxId'], additionalProperties: false },
        currency: { enum: ['USD', 'EUR', 'GBP'] },
        // strict mode has no absent fields: the optional note may be null
        note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
    });

    // the null written for the optional note is read as absent
    expect(r.value).toEqual(PARSED);
    expect(Object.keys(r.fields).sort()).toEqual([...LEAVES].sort());
    for (const path of LEAVES) expect(r.fields[path]?.method).toBe('logprobs');
    // taxId: its first piece 0.8, the rest near-certain; any other token makes another value.
    expect(r.fields['vendor.taxId']?.confidence).toBeCloseTo(0.8, 4);
    expect(r.fields['vendor.taxId']?.score).toBeCloseTo(Math.log(0.8 / 0.2), 3);
    // currency: EUR 0.7 against USD 0.2 (zz is no option): 0.7 / 0.9.
    expect(r.fields.currency?.confidence).toBeCloseTo(0.7 / 0.9, 4);
    expect(r.fields.currency?.score).toBeCloseTo(Math.log(0.7 / 0.2), 3);
    // the other fields at the default 0.99
    for (const path of ['vendor.name', 'total', 'paid', 'note'])
      expect(r.fields[path]?.confidence).toBeCloseTo(0.99, 4);
    // overall: every field right, their errors taken as independent
    expect(r.confidenceMethod).toBe('logprobs');
    expect(r.confidence).toBeCloseTo(0.99 ** 4 * 0.8 * (0.7 / 0.9), 4);
    expect(r.confidenceNote).toBeUndefined();
    expect(r).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', modelVersion: 'gpt-4o-mini-2024-07-18' });
    expect(r.outputMode).toBe('json_schema');
    expect(r.tokensIn).toBeGreaterThan(0);
    expect(r.tokensOut).toBeGreaterThan(0);
    expect(r.costUsd).toBeGreaterThan(0);
    expect(r.promptVersion).toMatch(/^[0-9a-f]{12}$/);
    // one request: nothing to sample
    expect(fake.requests).toHaveLength(1);
  });

  it('asks once more quoting the validation error, then gives up with AI_INVALID_OUTPUT naming the field', async () => {
    fake.setFaults([{ kind: 'schema', times: 1 }]);
    const r = await provider().extract(t.db, request());
    expect(r.value).toEqual(PARSED);
    expect(fake.requests).toHaveLength(2);
    const repair = fake.requests[1]?.messages?.slice(-2);
    expect(repair?.[0]).toMatchObject({ role: 'assistant', content: expect.stringContaining('"vendor":"not valid"') });
    expect(repair?.[1]?.content).toMatch(
      /^That answer cannot be used: model output violates the output schema: output\.vendor: .+\. Answer again with exactly one JSON object that matches the schema, and nothing else\.$/,
    );
    expect(r.confidenceNote).toMatch(/answer repaired after: model output violates the output schema: output\.vendor/);

    fake.requests.length = 0;
    fake.setFaults([{ kind: 'schema', times: 2 }]);
    const failed = await provider()
      .extract(t.db, request())
      .catch((e: unknown) => e);
    expect(isAppError(failed, 'AI_INVALID_OUTPUT')).toBe(true);
    expect((failed as Error).message).toMatch(/also after one repair request quoting the first error/);
    expect((failed as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['output.vendor']);
    expect(fake.requests).toHaveLength(2);
  });

  it('falls back to a forced tool call, then JSON mode with the schema in the prompt, and learns it', async () => {
    fake.configure({ rejectJsonSchema: true });
    const p = provider();
    const viaTool = await p.extract(t.db, request());
    expect(viaTool).toMatchObject({ outputMode: 'tool_call', value: PARSED, confidenceMethod: 'logprobs' });
    expect(fake.requests[1]?.tool_choice).toEqual({ type: 'function', function: { name: 'decision' } });
    expect(fake.requests[1]?.tools?.[0]?.function?.parameters).toMatchObject({ additionalProperties: false });

    fake.requests.length = 0;
    fake.configure({ rejectTools: true });
    const q = provider();
    const viaJsonMode = await q.extract(t.db, request());
    expect(viaJsonMode).toMatchObject({ outputMode: 'json_object', value: PARSED, confidenceMethod: 'logprobs' });
    expect(fake.requests.map((r) => r.response_format?.type ?? 'tools')).toEqual([
      'json_schema',
      'tools',
      'json_object',
    ]);
    const system = fake.requests[2]?.messages?.[0]?.content as string;
    expect(system).toMatch(
      /^Read the invoice and fill in its fields\.\n\nAnswer with one JSON object and nothing else\./,
    );
    expect(system).toContain('"taxId"');
    // learnt: the next call goes straight to JSON mode
    fake.requests.length = 0;
    await q.extract(t.db, request());
    expect(fake.requests.map((r) => r.response_format?.type)).toEqual(['json_object']);
    expect(q.capabilities()).toMatchObject({ jsonSchema: 'refused', tools: 'refused', jsonMode: 'honoured' });
  });
});

describe('structured answers without log probabilities', () => {
  const variant = (patch: Record<string, unknown>, vendor: Record<string, unknown> = {}) => ({
    ...VALUE,
    ...patch,
    vendor: { ...VALUE.vendor, ...vendor },
  });

  it('measures each field by the agreement of samples, and the whole by samples agreeing on every field', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    answer = {
      value: VALUE,
      samples: [VALUE, variant({}, { taxId: '12-3456780' }), VALUE, variant({ total: 1205.5 }), VALUE],
    };
    const r = await provider().extract(t.db, request());
    expect(r.value).toEqual(PARSED);
    expect(r.confidenceMethod).toBe('self-consistency');
    // 3 of the 5 samples agree on every field
    expect(r.confidence).toBeCloseTo(3 / 5, 10);
    expect(r.score).toBeCloseTo(Math.log(3.5 / 2.5), 10);
    expect(r.fields['vendor.taxId']).toMatchObject({ confidence: 4 / 5, method: 'self-consistency' });
    expect(r.fields['vendor.taxId']?.score).toBeCloseTo(Math.log(4.5 / 1.5), 10);
    expect(r.fields.total).toMatchObject({ confidence: 4 / 5, method: 'self-consistency' });
    expect(r.fields.currency).toMatchObject({ confidence: 1, method: 'self-consistency' });
    expect(r.fields.currency?.score).toBeCloseTo(Math.log(5.5 / 0.5), 10);
    expect(r.fields.note).toMatchObject({ confidence: 1, method: 'self-consistency' });
    expect(r.confidenceNote).toBe('the endpoint returned no log probabilities; agreement of 5 samples on every field');
    // the first answer, then one request for 5 samples (n honoured)
    expect(fake.requests.map((q) => [q.temperature, q.n ?? 1])).toEqual([
      [0, 1],
      [0.7, 5],
    ]);
  });

  it('takes the value most samples give, field by field', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const other = variant({ paid: true }, { taxId: '12-3456780' });
    answer = { value: VALUE, samples: [other, other, VALUE, other, variant({ paid: true })] };
    const r = await provider().extract(t.db, request());
    // taxId: 3 of 5 say ...780; paid: 4 of 5 say true; the rest as first answered
    expect(r.value).toEqual({ ...PARSED, vendor: { name: 'Acme Corp', taxId: '12-3456780' }, paid: true });
    expect(r.fields['vendor.taxId']?.confidence).toBeCloseTo(3 / 5, 10);
    expect(r.fields.paid?.confidence).toBeCloseTo(4 / 5, 10);
    // the samples equal to the result: the three `other`
    expect(r.confidence).toBeCloseTo(3 / 5, 10);
  });

  it("keeps the first answer when the fields' majorities together break a rule of the schema", async () => {
    // A rule across fields: each sample passes it, the field-wise majority would not.
    const ruled = invoice.refine((v) => !(v.currency === 'GBP' && v.paid && v.total > 1000), {
      message: 'a paid GBP invoice over 1,000 is not expected here',
    });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const gbpUnpaid = variant({ currency: 'GBP' });
    const eurPaid = variant({ paid: true });
    const gbpPaidSmall = variant({ currency: 'GBP', paid: true, total: 99 });
    answer = { value: VALUE, samples: [gbpUnpaid, eurPaid, gbpPaidSmall, gbpPaidSmall, VALUE] };
    const r = await provider().extract(t.db, { ...request(), schema: ruled });
    // GBP (3 of 5), paid (3 of 5), 1250.5 (3 of 5) together break the rule: the first answer stands
    expect(r.value).toEqual(PARSED);
    // agreement with it: EUR 2 of 5, unpaid 2 of 5, 1250.5 3 of 5; all fields: the last sample only
    expect(r.fields.currency?.confidence).toBeCloseTo(2 / 5, 10);
    expect(r.fields.paid?.confidence).toBeCloseTo(2 / 5, 10);
    expect(r.fields.total?.confidence).toBeCloseTo(3 / 5, 10);
    expect(r.confidence).toBeCloseTo(1 / 5, 10);
    expect(r.confidenceNote).toMatch(/with the first answer \(the field-wise majority does not pass the schema\)/);
  });

  it('mixes methods when the log probabilities weigh some fields only, and says so', async () => {
    // the model leaves the optional note out: its tokens cannot weigh a field it did not write
    const { note: _, ...withoutNote } = VALUE;
    answer = { value: withoutNote };
    const r = await provider().extract(t.db, request());
    for (const path of ['vendor.name', 'vendor.taxId', 'total', 'currency', 'paid'])
      expect(r.fields[path]?.method).toBe('logprobs');
    expect(r.fields.note).toMatchObject({ method: 'self-consistency', confidence: 1 });
    expect(r.fields.note?.note).toMatch(/^the log probabilities do not weigh field note; agreement of 5 samples$/);
    expect(r.confidenceMethod).toBe('self-consistency');
    expect(r.confidenceNote).toMatch(
      /^mixed: logprobs for vendor\.name, vendor\.taxId, total, currency, paid; self-consistency for note \(/,
    );
  });

  it('reads the one JSON object out of prose in a code fence', async () => {
    fake.configure({ fenced: true });
    const r = await provider().extract(t.db, request());
    expect(r.value).toEqual(PARSED);
    expect(r.confidenceMethod).toBe('self-consistency');
  });

  it('is unavailable, field by field, where samples cannot vary or no fallback is configured', async () => {
    fake.configure({ deterministic: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const r = await provider().extract(t.db, request());
    expect(r).toMatchObject({ confidenceMethod: 'unavailable', confidence: 0, value: PARSED });
    expect(r.confidenceNote).toMatch(/self-consistency is impossible/);
    for (const path of LEAVES)
      expect(r.fields[path]).toMatchObject({ method: 'unavailable', confidence: 0, score: -1e6 });

    // the model's own rating cannot stand in: a structured answer has none
    const rated = await provider().extract(t.db, request({ ai: { whenConfidenceUnavailable: 'verbalized' } }));
    expect(rated.confidenceMethod).toBe('unavailable');
    expect(rated.confidenceNote).toMatch(
      /; a structured answer carries no rating of its own, so the verbalized fallback cannot apply$/,
    );

    fake.reset();
    fake.requests.length = 0;
    const review = await provider().extract(t.db, request({ ai: { confidenceFallback: 'review' } }));
    expect(review.confidenceMethod).toBe('unavailable');
    expect(review.confidenceNote).toBe(
      'the endpoint returned no log probabilities; no other confidence is configured (confidenceFallback: review)',
    );
    // no samples drawn
    expect(fake.requests).toHaveLength(1);
  });
});

describe("structured answers with the agent's tools", () => {
  it('feeds the tool results back and answers with the record they gave, the calls recorded', async () => {
    const registry: AgentTool = {
      name: 'lookupVendor',
      description: 'Looks a vendor up in the registry by name: its tax id.',
      parameters: z.object({ name: z.string() }),
      run: ({ name }: { name: string }) => ({ name, taxId: '98-7654321' }),
    };
    const withTools = await startFakeOpenAI({
      toolCalls: () => [{ name: 'lookupVendor', arguments: { name: 'Acme Corp' } }],
      // The fake model takes the tax id from the registry's answer once it has one.
      extract: (_text, _schema, messages) => {
        const found = messages.find((m) => m.role === 'tool');
        const taxId = found ? (JSON.parse(String(found.content)) as { taxId: string }).taxId : '00-0000000';
        return { value: { ...VALUE, vendor: { name: 'Acme Corp', taxId } } };
      },
    });
    try {
      const r = await createOpenAIProvider({ apiKey: 'sk-test', baseURL: withTools.url, maxRetries: 0 }).extract(
        t.db,
        request({ tools: [registry] }),
      );
      expect(r.value.vendor).toEqual({ name: 'Acme Corp', taxId: '98-7654321' });
      expect(r.toolCalls).toEqual([
        expect.objectContaining({ name: 'lookupVendor', arguments: { name: 'Acme Corp' }, ok: true }),
      ]);
      expect(r.confidenceMethod).toBe('logprobs');
      // the tool call, then the answer: both with the structured output format and the tool offered
      expect(withTools.requests.map((q) => [q.response_format?.type, q.tools?.map((x) => x.function?.name)])).toEqual([
        ['json_schema', ['lookupVendor']],
        ['json_schema', ['lookupVendor']],
      ]);
    } finally {
      await withTools.close();
    }
  });
});
