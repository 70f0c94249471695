// A decide state on endpoints that give no honest confidence (issue 9): a deterministic endpoint
// sends every item to review with reason confidence_unavailable, never auto-accepts it; each
// decision row records the output mode, the confidence method and why. And the API serves what
// the provider learnt and probes on request. The engine, the real SDK and the fake endpoint over HTTP.
import { createOpenAIProvider, type OpenAIDecisionProvider } from '@signoff/ai';
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { defineWorkflow } from '@signoff/core';
import { upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const triage = (name: string, ai?: { whenConfidenceUnavailable: 'verbalized' }) =>
  defineWorkflow({
    name,
    input: z.object({ text: z.string() }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: `${name}-agent`, instructions: 'Classify the support request.', ...(ai ? { ai } : {}) },
        labels: ['billing', 'bug', 'account'],
        text: (ctx) => ctx.input.text,
        policy: { autoAcceptAt: 0.5, queue: 'support' },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });

let fake: FakeOpenAI;
let t: TestDatabase;
let e: TestEngine;
let provider: OpenAIDecisionProvider;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  t = await createTestDatabase();
  provider = createOpenAIProvider({ apiKey: 'test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0 });
  e = await startTestEngine(t, [triage('plain'), triage('rated', { whenConfidenceUnavailable: 'verbalized' })], {
    provider,
  });
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
  await fake?.close();
});
beforeEach(() => {
  fake.reset();
  fake.setFaults([]);
});

const decisionOf = (itemId: string) =>
  t.db
    .selectFrom('decisions')
    .select(['route', 'confidence', 'confidence_method', 'confidence_note', 'output_mode', 'score', 'model', 'label'])
    .where('item_id', '=', itemId)
    .executeTakeFirstOrThrow();

describe('decisions on real endpoints', () => {
  it('records the output mode and method of a log-probability decision', async () => {
    const id = await e.submit('plain', { text: 'billing: charged twice' });
    await e.settle(id, ['succeeded']);
    expect(await decisionOf(id)).toMatchObject({
      route: 'auto',
      confidence_method: 'logprobs',
      output_mode: 'json_schema',
      confidence_note: null,
      model: 'gpt-4o-mini',
    });
  });

  it('sends every item of a deterministic endpoint to review (confidence_unavailable), none auto-accepted', async () => {
    fake.configure({ deterministic: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await e.submit('plain', { text: `billing question ${i}` }));
    for (const id of ids) await e.settle(id, ['waiting']);
    for (const id of ids) {
      const d = await decisionOf(id);
      expect(d).toMatchObject({
        route: 'review',
        confidence: 0,
        confidence_method: 'unavailable',
        output_mode: 'json_schema',
        score: null,
        label: 'billing',
      });
      expect(d.confidence_note).toMatch(/self-consistency is impossible/);
      const task = await t.db
        .selectFrom('review_tasks')
        .select(['reasons'])
        .where('item_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(task.reasons.map((r) => r.code)).toEqual(['confidence_unavailable']);
      expect(task.reasons[0]?.message).toMatch(
        /^The model answered "billing" but gave no usable confidence: the endpoint returned no log probabilities, and self-consistency is impossible/,
      );
    }
  });

  it("auto-accepts on the model's own rating only where the workflow opts in, and flags it", async () => {
    fake.configure({ deterministic: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const id = await e.submit('rated', { text: 'bug: crash on start' });
    await e.settle(id, ['succeeded']);
    const d = await decisionOf(id);
    expect(d).toMatchObject({ route: 'auto', confidence_method: 'verbalized', confidence: 0.95 });
    expect(d.confidence_note).toMatch(/whenConfidenceUnavailable: verbalized\)$/);
  });
});

describe('the API', () => {
  it('lists what the provider learnt, and probes the endpoint for a data scientist', async () => {
    const user = await upsertUser(t.db, {
      email: 'ds@example.com',
      name: 'Dana',
      role: 'data_scientist',
      password: 'correct horse battery',
    });
    const caller = (probe: boolean) =>
      createCallerFactory(appRouter)({
        db: t.db,
        boss: e.boss,
        registry: e.registry,
        ...(probe ? { probeModel: (m: string | undefined) => provider.probe(t.db, m) } : {}),
        user,
        token: 't',
      } as unknown as Context);
    const learnt = await caller(false).models.capabilities();
    expect(learnt.find((c) => c.model === 'gpt-4o-mini')).toMatchObject({ endpoint: fake.url, jsonSchema: 'honoured' });

    const probed = await caller(true).models.probe({ model: 'api-probed' });
    expect(probed).toMatchObject({ model: 'api-probed', logprobs: 'honoured', confidence: 'logprobs' });
    expect((await caller(false).models.capabilities()).map((c) => c.model)).toContain('api-probed');

    await expect(caller(false).models.probe({})).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/No OpenAI-compatible endpoint is configured/),
    });
    await expect(caller(true).models.probe({ model: '  ' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
