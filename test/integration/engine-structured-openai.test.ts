// A structured decide state end to end on an OpenAI-compatible endpoint: the engine asks the
// provider's `extract` for the state's object, records the per-field confidences the endpoint's
// log probabilities give, and routes per field (policy.fields): a tax id read with confidence
// below its own threshold goes to review naming that field, though the record as a whole clears
// the state's threshold. The engine, the real SDK and the fake endpoint over HTTP.
import { createLocalProvider, createOpenAIProvider, routeProviders, withCircuitBreaker } from '@signoff/ai';
import { defineWorkflow, structuredLabel } from '@signoff/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const vendor = z.object({
  legalName: z.string(),
  taxId: z.string().regex(/^\d{2}-\d{7}$/),
  entity: z.enum(['llc', 'corporation', 'sole_proprietor']),
  annualSpend: z.number(),
});
const onboarding = defineWorkflow({
  name: 'vendor-intake',
  input: z.object({ text: z.string() }),
  start: 'extract',
  states: {
    extract: {
      kind: 'decide',
      agent: { name: 'vendor-reader', instructions: 'Read the vendor form and fill in its fields.' },
      output: vendor,
      text: (ctx) => ctx.input.text,
      policy: { autoAcceptAt: 0.5, queue: 'vendors', fields: { taxId: { autoAcceptAt: 0.9 } } },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const RECORD = { legalName: 'Acme Corp', taxId: '12-3456789', entity: 'llc', annualSpend: 8000 };

let fake: FakeOpenAI;
let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  // The fake model reads the tax id of a smudged form with probability 0.6, of a clean one 0.99;
  // sampled (without log probabilities), it reads a faxed form's tax id two ways.
  fake = await startFakeOpenAI({
    extract: (text) => ({
      value: RECORD,
      probability: { taxId: text.includes('smudged') ? 0.6 : 0.99 },
      ...(text.includes('faxed') ? { samples: [RECORD, { ...RECORD, taxId: '12-3458789' }] } : {}),
    }),
  });
  t = await createTestDatabase();
  // As the server runs it: behind the circuit breaker and the router by agent, which forward extract.
  const openai = withCircuitBreaker(
    createOpenAIProvider({ apiKey: 'test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0 }),
  );
  const provider = routeProviders({ local: createLocalProvider(), openai }, 'openai');
  e = await startTestEngine(t, [onboarding], { provider });
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
  await fake?.close();
});

const decisionOf = (itemId: string) =>
  t.db
    .selectFrom('decisions')
    .select(['route', 'label', 'confidence', 'confidence_method', 'output', 'output_mode'])
    .where('item_id', '=', itemId)
    .executeTakeFirstOrThrow();

describe('a structured decide state on an OpenAI-compatible endpoint', () => {
  it('auto-accepts a record whose every field clears its threshold, with the per-field confidences recorded', async () => {
    const id = await e.submit('vendor-intake', { text: 'W-9: Acme Corp, LLC, EIN 12-3456789, spend 8,000' });
    const item = await e.settle(id, ['succeeded']);
    expect(item.context.extract).toMatchObject({ value: RECORD, decidedBy: 'ai' });
    const d = await decisionOf(id);
    expect(d).toMatchObject({
      route: 'auto',
      label: structuredLabel(RECORD),
      confidence_method: 'logprobs',
      output_mode: 'json_schema',
    });
    const fields = (d.output as { fields: Record<string, { confidence: number; method: string }> }).fields;
    expect(Object.keys(fields).sort()).toEqual(['annualSpend', 'entity', 'legalName', 'taxId']);
    for (const f of Object.values(fields)) expect(f.method).toBe('logprobs');
    expect(fields.taxId?.confidence).toBeCloseTo(0.99, 4);
    // overall: four fields at 0.99 (the enum's only alternative is no option: certain)
    expect(d.confidence).toBeCloseTo(0.99 ** 3, 4);
  });

  it('sends a record to review for the one field below its own threshold, naming it', async () => {
    const id = await e.submit('vendor-intake', { text: 'W-9 (smudged): Acme Corp, LLC, EIN 12-3456789' });
    await e.settle(id, ['waiting']);
    const d = await decisionOf(id);
    expect(d.route).toBe('review');
    // the record as a whole (0.6 x 0.99^2 = 0.588) clears the state's 0.5: only the field's policy routes it
    expect(d.confidence).toBeCloseTo(0.6 * 0.99 ** 2, 4);
    const fields = (d.output as { fields: Record<string, { confidence: number }> }).fields;
    expect(fields.taxId?.confidence).toBeCloseTo(0.6, 4);
    const task = await t.db
      .selectFrom('review_tasks')
      .select(['reasons', 'queue'])
      .where('item_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(task.queue).toBe('vendors');
    expect(task.reasons).toEqual([expect.objectContaining({ code: 'low_field_confidence', fields: ['taxId'] })]);
    expect(task.reasons[0]?.message).toBe('taxId: confidence 60.0% is below its threshold 90.0%');
  });

  it('routes on the agreement of samples where the endpoint gives no log probabilities', async () => {
    fake.setFaults([{ kind: 'no-logprobs' }]);
    try {
      const id = await e.submit('vendor-intake', { text: 'W-9 (faxed): Acme Corp, LLC, EIN 12-3456789' });
      await e.settle(id, ['waiting']);
      const d = await decisionOf(id);
      // 5 samples alternate between the two readings: 3 of 5 agree with the first answer
      expect(d).toMatchObject({ route: 'review', confidence_method: 'self-consistency' });
      expect(d.confidence).toBeCloseTo(3 / 5, 10);
      const fields = (d.output as { fields: Record<string, { confidence: number; method: string }> }).fields;
      expect(fields.taxId).toMatchObject({ confidence: 3 / 5, method: 'self-consistency' });
      expect(fields.legalName).toMatchObject({ confidence: 1, method: 'self-consistency' });
      const task = await t.db
        .selectFrom('review_tasks')
        .select(['reasons'])
        .where('item_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(task.reasons).toEqual([expect.objectContaining({ code: 'low_field_confidence', fields: ['taxId'] })]);
    } finally {
      fake.setFaults([]);
    }
  });
});
