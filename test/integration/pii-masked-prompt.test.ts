// A decide state whose agent has `maskPii: true` sends its prompt with PII masked, for the
// OpenAI-compatible provider (the request bodies the fake endpoint received) and for the built-in
// model (the text it was given); the decision records the masked text it read. An agent without
// the option sends the text as it is (the control).
import { createLocalProvider, createOpenAIProvider, type DecisionProvider } from '@signoff/ai';
import { workflowHash } from '@signoff/engine';
import { seedExamples } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { PII, PII_FRAGMENTS, piiInput, piiWorkflow } from '../fixtures/pii-workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { waitFor } from '../support/signoff';

let t: TestDatabase;
let fake: FakeOpenAI;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedExamples(t.db);
  fake = await startFakeOpenAI({ classify: (_text, labels) => ({ label: labels[0] as string, probability: 0.9 }) });
});
afterAll(async () => {
  await fake?.close();
  await t?.drop();
});

/** Runs one item of the workflow through the provider, and returns its decision's recorded input text. */
async function decideOne(engine: TestEngine, workflow: string): Promise<string> {
  const itemId = await engine.submit(workflow, piiInput(1));
  const d = await waitFor(() =>
    t.db.selectFrom('decisions').select('input_text').where('item_id', '=', itemId).executeTakeFirst(),
  );
  return d.input_text;
}

const MASKED_TEXT =
  'Refund for claim ZX-42-ALPHA (#1)\nPlease refund my card [card …1111] to IBAN [iban]. Member [member-id]. Call me on [phone].\nFrom [email]';

describe('the OpenAI-compatible provider', () => {
  const openai = () =>
    createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 5000, maxRetries: 0 }) as DecisionProvider;

  it('gets mask tokens, never the PII, when the agent masks', async () => {
    const engine = await startTestEngine(t, [piiWorkflow({ maskPrompt: true, name: 'masked-claims' })], {
      provider: openai(),
    });
    try {
      fake.requests.length = 0;
      expect(await decideOne(engine, 'masked-claims')).toBe(MASKED_TEXT);
      expect(fake.requests.length).toBeGreaterThan(0);
      const bodies = JSON.stringify(fake.requests);
      // (The deployment pattern claim-ref is not configured in this file: its value goes through.)
      expect(PII_FRAGMENTS.filter((p) => bodies.includes(p) && !p.startsWith('ZX-'))).toEqual([]);
      expect(bodies).toContain('[card …1111]');
      expect(bodies).toContain('[email]');
      expect(bodies).toContain('[member-id]');
    } finally {
      await engine.stop();
    }
  });

  it('gets the text as it is when the agent does not (the control)', async () => {
    const engine = await startTestEngine(t, [piiWorkflow({ name: 'plain-claims' })], { provider: openai() });
    try {
      fake.requests.length = 0;
      expect(await decideOne(engine, 'plain-claims')).toContain(PII.email);
      const bodies = JSON.stringify(fake.requests);
      expect(bodies).toContain(PII.email);
      expect(bodies).toContain(PII.card);
    } finally {
      await engine.stop();
    }
  });
});

describe('the built-in model', () => {
  it('is given the masked text', async () => {
    const seen: string[] = [];
    const local = createLocalProvider();
    const capturing: DecisionProvider = {
      name: local.name,
      decide: (db, req) => {
        seen.push(req.text);
        return local.decide(db, req);
      },
    };
    const engine = await startTestEngine(t, [piiWorkflow({ maskPrompt: true, name: 'local-claims' })], {
      provider: capturing,
    });
    try {
      expect(await decideOne(engine, 'local-claims')).toBe(MASKED_TEXT);
      expect(seen).toEqual([MASKED_TEXT]);
    } finally {
      await engine.stop();
    }
  });
});

it('maskPii is part of the workflow version', () => {
  expect(workflowHash(piiWorkflow({ maskPrompt: true }))).not.toBe(workflowHash(piiWorkflow()));
});
