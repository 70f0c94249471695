// Agents of one workflow can use different providers; an agent asking for one that is not
// configured gets a clear AI_UNAVAILABLE (and so, in a workflow, a review with that reason).
import { createLocalProvider, createOpenAIProvider, routeProviders } from '@signoff/ai';
import { isAppError } from '@signoff/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
let fake: FakeOpenAI;
beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeOpenAI();
  await t.db
    .insertInto('seed_examples')
    .values([
      { agent: 'local-agent', text: 'refund me', label: 'refund' },
      { agent: 'local-agent', text: 'app crashes', label: 'other' },
    ])
    .execute();
});
afterAll(async () => {
  await fake.close();
  await t.drop();
});

const ask = (p: ReturnType<typeof routeProviders>, agent: { name: string; provider?: 'openai' | 'local' }) =>
  p.decide(t.db, {
    agent: { ...agent, instructions: 'Refund or other?' },
    labels: ['refund', 'other'],
    text: 'please refund me',
  });

it('sends each agent to its provider', async () => {
  const router = routeProviders(
    { local: createLocalProvider(), openai: createOpenAIProvider({ apiKey: 'k', baseURL: fake.url }) },
    'openai',
  );
  expect(await ask(router, { name: 'remote-agent' })).toMatchObject({ provider: 'openai' });
  expect(await ask(router, { name: 'local-agent', provider: 'local' })).toMatchObject({
    provider: 'local',
    model: 'signoff-local-logreg',
  });
  expect(fake.requests).toHaveLength(1);
});

it('refuses an agent whose provider is not configured, saying what to set', async () => {
  const router = routeProviders({ local: createLocalProvider() }, 'local');
  const e = await ask(router, { name: 'remote-agent', provider: 'openai' }).catch((err: unknown) => err);
  expect(isAppError(e, 'AI_UNAVAILABLE')).toBe(true);
  expect((e as Error).message).toContain('OPENAI_API_KEY is not set');
});
