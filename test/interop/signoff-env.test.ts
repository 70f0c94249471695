// The whole server configured as an operator would: OPENAI_API_KEY, OPENAI_BASE_URL and
// OPENAI_MODEL pointing at a server we did not write (@dwmkerr/mock-llm answering like an older
// llama.cpp server: no json_schema, no tools, no `n`). The app's env.ts and selectProvider pick
// the OpenAI-compatible provider, and items submitted to its workers end decided the way that
// server allows.
import { defineWorkflow } from '@signoff/core';
import { submitItem } from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type MockLlm, startMockLlm } from '../support/mock-llm';
import { MOCK_LABELS, TOPICS, type Topic, topicText } from '../support/mock-llm-profiles';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const WORKFLOW = 'interop-env-triage';
const triage = defineWorkflow({
  name: WORKFLOW,
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      // No model: the one OPENAI_MODEL names.
      agent: { name: 'interop-env-triage', instructions: 'Classify the customer message.' },
      labels: [...MOCK_LABELS],
      text: (ctx) => ctx.input.text,
      retry: { maxAttempts: 2, initialDelayMs: 20, jitter: 0 },
      policy: { autoAcceptAt: 0.9, queue: 'support' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

describe('Signoff started with OPENAI_BASE_URL at a llama.cpp-like server', () => {
  let mock: MockLlm;
  let s: TestSignoff;
  beforeAll(async () => {
    mock = await startMockLlm();
    await mock.use('llamacpp');
    s = await startTestSignoff({
      workflows: [triage],
      env: { OPENAI_API_KEY: 'sk-interop', OPENAI_BASE_URL: mock.url, OPENAI_MODEL: 'mock-llama' },
    });
  });
  afterAll(async () => {
    await s?.close();
    await mock?.close();
  });

  it('decides clear texts in JSON mode by self-consistency and auto-accepts them', async () => {
    const topics: Topic[] = ['refund', 'parcel', 'refund', 'parcel'];
    const ids: string[] = [];
    for (const [i, topic] of topics.entries()) {
      const r = await s.db
        .transaction()
        .execute((trx) =>
          submitItem(
            trx,
            { registry: s.registry, boss: s.boss },
            { workflow: WORKFLOW, input: { text: topicText(topic, i) } },
            SYSTEM,
          ),
        );
      ids.push(r.id);
    }
    await waitFor(
      async () => {
        const rows = await s.db.selectFrom('items').select('status').where('id', 'in', ids).execute();
        return rows.length === ids.length && rows.every((r) => r.status !== 'running');
      },
      { timeoutMs: 30_000, message: 'the items settle' },
    );
    const rows = await s.db
      .selectFrom('items')
      .innerJoin('decisions', 'decisions.item_id', 'items.id')
      .select([
        'items.id',
        'items.status',
        'decisions.provider',
        'decisions.model',
        'decisions.label',
        'decisions.route',
        'decisions.output_mode',
        'decisions.confidence_method',
      ])
      .where('items.id', 'in', ids)
      .execute();
    expect(rows).toHaveLength(ids.length);
    for (const [i, id] of ids.entries()) {
      const row = rows.find((r) => r.id === id);
      expect(row).toMatchObject({
        status: 'succeeded',
        provider: 'openai',
        model: 'mock-llama',
        label: TOPICS[topics[i] as Topic].label,
        route: 'auto',
        output_mode: 'json_object',
        confidence_method: 'self-consistency',
      });
    }
    // What reached the server: the model from OPENAI_MODEL, and n > 1 only until the provider learnt it was refused.
    expect(mock.requests.every((q) => q.model === 'mock-llama')).toBe(true);
    expect(mock.requests.filter((q) => (q.n ?? 1) > 1).length).toBeGreaterThanOrEqual(1);
  });
});
