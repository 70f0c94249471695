// Whole workflows through the engine (pg-boss workers, real PostgreSQL) whose decide state asks a
// server we did not write: @dwmkerr/mock-llm answering like OpenAI, an OpenAI reasoning model,
// vLLM, the llama.cpp server, Ollama, a deterministic caching gateway, or models that wrap their
// JSON in prose or answer in words (test/support/mock-llm-profiles.ts), through the real `openai`
// SDK provider. Issue 9: every item ends decided or in review with a precise reason, none is
// auto-accepted on fake confidence, and each decision records the output mode and confidence
// method that server supports. Expectations are the issue's.
import { type ConfidenceMethod, createOpenAIProvider, type DecisionProvider, OUTPUT_MODES } from '@signoff/ai';
import { defineWorkflow, type RouteReasonCode } from '@signoff/core';
import type { RouteReasonRow } from '@signoff/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { type MockLlm, startMockLlm } from '../support/mock-llm';
import { MOCK_LABELS, type MockProfile, TOPICS, type Topic, topicText } from '../support/mock-llm-profiles';
import { waitFor } from '../support/signoff';

const ITEMS_PER_TOPIC = 4;
const AUTO_ACCEPT_AT = 0.9;
const WORKFLOW = 'interop-triage';

const triage = defineWorkflow({
  name: WORKFLOW,
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: 'interop-triage', instructions: 'Classify the customer message.', model: 'mock-model' },
      labels: [...MOCK_LABELS],
      text: (ctx) => ctx.input.text,
      retry: { maxAttempts: 2, initialDelayMs: 20, jitter: 0 },
      policy: { autoAcceptAt: AUTO_ACCEPT_AT, queue: 'support' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

interface RunItem {
  id: string;
  topic: Topic;
  status: string;
  decisions: {
    label: string | null;
    route: string;
    confidence: number;
    confidence_method: string;
    output_mode: string | null;
    confidence_note: string | null;
    reasons: RouteReasonRow[];
  }[];
  tasks: { status: string; reasons: RouteReasonRow[] }[];
}

let t: TestDatabase;
let mock: MockLlm;
let engine: TestEngine;
/** The provider of the profile under test; a fresh one per profile, so nothing learnt carries over. */
let current: DecisionProvider | undefined;
const provider: DecisionProvider = {
  name: 'openai',
  decide(db, req) {
    if (!current) throw new Error('no profile under test');
    return current.decide(db, req);
  },
};

beforeAll(async () => {
  [t, mock] = await Promise.all([createTestDatabase(), startMockLlm()]);
  engine = await startTestEngine(t, [triage], { provider });
});
afterAll(async () => {
  await engine?.stop();
  await mock?.close();
  await t?.drop();
});

/** Submits `ITEMS_PER_TOPIC` items of each topic to `profile` and waits until each has settled. */
async function run(profile: MockProfile, maxRetries = 1): Promise<RunItem[]> {
  await mock.use(profile);
  current = createOpenAIProvider({ apiKey: 'sk-interop', baseURL: mock.url, timeoutMs: 5000, maxRetries });
  const submitted: { id: string; topic: Topic }[] = [];
  for (let i = 0; i < ITEMS_PER_TOPIC; i++) {
    for (const topic of Object.keys(TOPICS) as Topic[]) {
      submitted.push({ id: await engine.submit(WORKFLOW, { text: `${topicText(topic, i)} (${profile})` }), topic });
    }
  }
  const ids = submitted.map((s) => s.id);
  const settled = ['succeeded', 'waiting', 'failed', 'rejected'];
  const statuses = await waitFor(
    async () => {
      const rows = await t.db.selectFrom('items').select(['id', 'status']).where('id', 'in', ids).execute();
      return rows.length === ids.length && rows.every((r) => settled.includes(r.status)) ? rows : undefined;
    },
    { timeoutMs: 30_000, message: `the ${profile} items settle` },
  );
  const decisions = await t.db
    .selectFrom('decisions')
    .select([
      'item_id',
      'label',
      'route',
      'confidence',
      'confidence_method',
      'output_mode',
      'confidence_note',
      'reasons',
    ])
    .where('item_id', 'in', ids)
    .execute();
  const tasks = await t.db
    .selectFrom('review_tasks')
    .select(['item_id', 'status', 'reasons'])
    .where('item_id', 'in', ids)
    .execute();
  return submitted.map(({ id, topic }) => ({
    id,
    topic,
    status: statuses.find((s) => s.id === id)?.status ?? 'missing',
    decisions: decisions.filter((d) => d.item_id === id),
    tasks: tasks.filter((k) => k.item_id === id),
  }));
}

const KNOWN_CODES: readonly RouteReasonCode[] = [
  'low_confidence',
  'ai_unavailable',
  'ai_invalid_output',
  'confidence_unavailable',
];

/** What a reason's message must say for its code to count as precise. */
const PRECISE: Partial<Record<RouteReasonCode, RegExp>> = {
  low_confidence: /^Confidence \d+(\.\d+)?% is below the auto-accept threshold 90(\.0)?%/,
  // The endpoint and what it said: an SDK's `400 status code (no body)` names no cause.
  ai_unavailable: /^(?!.*status code \(no body\)).*127\.0\.0\.1:\d+\/v1.*(HTTP \d{3}|timed out|could not connect)/,
  // The model and what was wrong with its answer.
  ai_invalid_output: /model .*(JSON|schema|refused|stopped early|did not call)/,
  // Why there is no confidence: samples that cannot vary (a deterministic or caching endpoint).
  confidence_unavailable: /determinis|identical|cach|did not vary|never var/i,
};

/** What a profile's decisions should record, by issue 9. */
interface Expected {
  /** `output_mode` of every answered decision (undefined: any mode, but one). */
  outputMode?: (typeof OUTPUT_MODES)[number];
  confidenceMethod: ConfidenceMethod;
  /** Route of the clear texts (refund, parcel) and of the unsure one (undefined: either). */
  clear: 'auto' | 'review';
  unsure?: 'auto' | 'review';
  /** Reason code of every review, when one cause covers them all. */
  reviewCode?: RouteReasonCode;
}

const EXPECTED: Record<Exclude<MockProfile, 'plain-text' | 'llamacpp-500'>, Expected> = {
  openai: { outputMode: 'json_schema', confidenceMethod: 'logprobs', clear: 'auto', unsure: 'review' },
  'openai-reasoning': {
    outputMode: 'json_schema',
    confidenceMethod: 'self-consistency',
    clear: 'auto',
    unsure: 'review',
  },
  vllm: { outputMode: 'json_schema', confidenceMethod: 'logprobs', clear: 'auto', unsure: 'review' },
  'vllm-0.5': {
    outputMode: 'tool_call',
    confidenceMethod: 'logprobs',
    clear: 'auto',
    unsure: 'review',
  },
  // Separate sample requests interleave across items, so which sampled answers an unsure item gets
  // depends on the order of arrival: its route is not fixed.
  llamacpp: { outputMode: 'json_object', confidenceMethod: 'self-consistency', clear: 'auto' },
  ollama: { outputMode: 'json_schema', confidenceMethod: 'self-consistency', clear: 'auto' },
  litellm: {
    outputMode: 'json_schema',
    confidenceMethod: 'self-consistency',
    clear: 'auto',
  },
  'caching-gateway': {
    outputMode: 'json_schema',
    confidenceMethod: 'unavailable',
    clear: 'review',
    unsure: 'review',
    reviewCode: 'confidence_unavailable',
  },
  'fenced-json': {
    confidenceMethod: 'self-consistency',
    clear: 'auto',
  },
};

/** The checks every profile must pass: nothing lost, nothing failed, every review says why. */
function everyItemSettles(items: () => RunItem[]) {
  it('ends every item decided or in review: none lost, none failed, one decision each', () => {
    for (const item of items()) {
      expect(['succeeded', 'waiting'], `item ${item.id} (${item.topic})`).toContain(item.status);
      expect(item.decisions, `decisions of ${item.id}`).toHaveLength(1);
      const [d] = item.decisions;
      if (item.status === 'waiting') {
        expect(d?.route).toBe('review');
        expect(item.tasks.map((k) => k.status)).toEqual(['pending']);
      } else {
        expect(['auto', 'sampled']).toContain(d?.route);
      }
    }
  });

  it('gives every review a precise reason: a known code and a message naming the cause', () => {
    for (const item of items()) {
      const reasons: RouteReasonRow[] = [...(item.decisions[0]?.route === 'review' ? item.decisions[0].reasons : [])];
      for (const task of item.tasks) reasons.push(...task.reasons);
      if (item.status === 'waiting') expect(reasons.length, `reasons of ${item.id}`).toBeGreaterThan(0);
      for (const r of reasons) {
        expect(KNOWN_CODES).toContain(r.code);
        const code = r.code as RouteReasonCode;
        expect(r.message).toMatch(PRECISE[code] ?? /./);
      }
    }
  });

  it('auto-accepts nothing on a confidence that is not one (unavailable, or an unrequested verbalised rating)', () => {
    for (const item of items()) {
      for (const d of item.decisions) {
        if (d.route === 'auto') expect(['unavailable', 'verbalized', 'none']).not.toContain(d.confidence_method);
      }
    }
  });
}

for (const [profile, expected] of Object.entries(EXPECTED) as [keyof typeof EXPECTED, Expected][]) {
  describe(`${profile}: ${3 * ITEMS_PER_TOPIC} items`, () => {
    let items: RunItem[] = [];
    beforeAll(async () => {
      items = await run(profile);
    });

    everyItemSettles(() => items);

    it(`records output mode ${expected.outputMode ?? '(any)'} and confidence method ${expected.confidenceMethod}, and routes as the confidence says`, () => {
      for (const item of items) {
        const d = item.decisions[0];
        const where = `${profile} item ${item.id} (${item.topic})`;
        expect(d, where).toBeDefined();
        if (!d) continue;
        expect(d.label, where).not.toBeNull();
        if (expected.outputMode) expect(d.output_mode, where).toBe(expected.outputMode);
        else expect(OUTPUT_MODES as readonly (string | null)[], where).toContain(d.output_mode);
        expect(d.confidence_method, where).toBe(expected.confidenceMethod);
        const route = item.topic === 'unsure' ? expected.unsure : expected.clear;
        if (route) expect(d.route, where).toBe(route);
        if (item.topic !== 'unsure') expect(d.label, where).toBe(TOPICS[item.topic].label);
        // Whatever the route, it follows the confidence (no calibrator yet: raw = calibrated).
        expect(d.route === 'auto', where).toBe(d.confidence >= AUTO_ACCEPT_AT);
        if (d.route === 'review') {
          const codes = d.reasons.map((r) => r.code);
          expect(codes, where).toEqual([expected.reviewCode ?? 'low_confidence']);
        }
        if (expected.confidenceMethod === 'unavailable') {
          expect(d.confidence, where).toBe(0);
          expect(d.confidence_note, where).toMatch(/determinis|identical|cach/i);
        }
      }
    });

    if (profile === 'caching-gateway') {
      it('scores nothing 1.0 by self-consistency and auto-accepts nothing (issue 9, by the letter)', () => {
        for (const item of items) {
          const d = item.decisions[0];
          expect(d?.route).toBe('review');
          expect(d?.confidence_method === 'self-consistency' && d.confidence === 1).toBe(false);
        }
      });
    }
  });
}

describe(`plain-text: ${3 * ITEMS_PER_TOPIC} items`, () => {
  let items: RunItem[] = [];
  beforeAll(async () => {
    items = await run('plain-text');
  });

  everyItemSettles(() => items);

  it('sends every item to review as ai_invalid_output, quoting what the model said', () => {
    for (const item of items) {
      expect(item.status).toBe('waiting');
      const d = item.decisions[0];
      expect(d).toMatchObject({ label: null, route: 'review' });
      expect(d?.reasons.map((r) => r.code)).toEqual(['ai_invalid_output']);
      expect(d?.reasons[0]?.message).toContain('I would file this under');
    }
  });
});

describe(`llamacpp-500: ${3 * ITEMS_PER_TOPIC} items`, () => {
  let items: RunItem[] = [];
  beforeAll(async () => {
    // No SDK retries: each would wait out its back-off on a refusal that never changes.
    items = await run('llamacpp-500', 0);
  });

  everyItemSettles(() => items);

  it("sends every item to review as ai_unavailable, quoting the server's refusal", () => {
    for (const item of items) {
      expect(item.status).toBe('waiting');
      const d = item.decisions[0];
      expect(d).toMatchObject({ label: null, route: 'review' });
      expect(d?.reasons.map((r) => r.code)).toEqual(['ai_unavailable']);
      expect(d?.reasons[0]?.message).toMatch(/HTTP 500.*but got: json_schema/);
    }
  });
});
