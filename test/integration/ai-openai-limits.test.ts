// Per-provider request limits (concurrency, tokens per minute), observed at the fake endpoint:
// it holds requests until the test releases them and records how many were in flight at once,
// so nothing here depends on how long anything takes.
import { createOpenAIProvider, type OpenAIProviderOptions } from '@signoff/ai';
import { isAppError } from '@signoff/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, type TestDatabase } from '../support/database';

const AGENT = { name: 'support-triage', instructions: 'Classify the customer message.' };
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
});

const provider = (options: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({ apiKey: 'sk-test', baseURL: fake.url, timeoutMs: 10_000, maxRetries: 0, ...options });

/**
 * One decision before the test proper: a provider's first call for a model goes alone (the others
 * wait while it learns what the endpoint supports), which would hide the limits under test.
 */
async function warm(p: ReturnType<typeof provider>): Promise<void> {
  await p.decide(t.db, { agent: AGENT, labels: LABELS, text: 'warm-up refund' });
  fake.requests.length = 0;
  fake.probes.length = 0;
  fake.timeline.length = 0;
}

/** Polls a condition (no fixed sleeps): resolves as soon as it holds, fails after the deadline. */
async function until(condition: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not before the deadline: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('maxConcurrency', () => {
  it('keeps at most N requests in flight at the endpoint; the others wait, none fails', async () => {
    const p = provider({ maxConcurrency: 3 });
    await warm(p);
    fake.hold();
    const total = 10;
    const all = Promise.all(
      Array.from({ length: total }, (_, i) =>
        p.decide(t.db, { agent: AGENT, labels: LABELS, text: `shipping question ${i}` }),
      ),
    );
    for (let answered = 0; answered < total; answered++) {
      const inFlight = Math.min(3, total - answered);
      const waiting = total - answered - inFlight;
      // The limiter settles a request once its answer has arrived, a moment after the endpoint sent it.
      await until(
        () => fake.held === inFlight && p.limiterState().inFlight === inFlight && p.limiterState().waiting === waiting,
        `${inFlight} held at the endpoint, ${waiting} waiting in the limiter`,
      );
      expect(fake.requests).toHaveLength(answered + inFlight);
      fake.release(1);
    }
    const results = await all;
    expect(results.map((r) => r.label)).toEqual(Array(total).fill('shipping'));
    expect(fake.maxInFlight).toBe(3);
    expect(p.limiterState()).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('holds the self-consistency samples to the same limit', async () => {
    fake.configure({ ignoreN: true });
    fake.setFaults([{ kind: 'no-logprobs' }]);
    const p = provider({ maxConcurrency: 2 });
    // The warm-up's sampling probe has learnt that the endpoint ignores n.
    await warm(p);
    fake.hold();
    const pending = p.decide(t.db, { agent: AGENT, labels: LABELS, text: 'refund please' });
    await until(() => fake.held === 1, 'the first answer is held');
    fake.release(1);
    // Five single sample requests queue behind two slots.
    await until(() => fake.held === 2 && p.limiterState().waiting === 3, 'two samples held, three waiting');
    fake.release();
    expect((await pending).confidenceMethod).toBe('self-consistency');
    expect(fake.requests).toHaveLength(6);
    expect(fake.maxInFlight).toBe(2);
  });

  it('lets a caller that gives up leave the queue with AI_UNAVAILABLE, without a request', async () => {
    const p = provider({ maxConcurrency: 1 });
    await warm(p);
    fake.hold();
    const first = p.decide(t.db, { agent: AGENT, labels: LABELS, text: 'refund 1' });
    await until(() => fake.held === 1, 'the first request is held');
    const controller = new AbortController();
    const second = p
      .decide(t.db, { agent: AGENT, labels: LABELS, text: 'refund 2', signal: controller.signal })
      .catch((e: unknown) => e);
    await until(() => p.limiterState().waiting === 1, 'the second waits for a slot');
    controller.abort();
    const e = await second;
    expect(isAppError(e, 'AI_UNAVAILABLE') && e.message).toMatch(/aborted by the caller while it waited/);
    expect(p.limiterState().waiting).toBe(0);
    fake.release();
    expect((await first).label).toBe('refund');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('tokensPerMinute', () => {
  it('spaces calls out: each waits until the previous one has reported its usage', async () => {
    // Each request reserves about 700 tokens (its JSON / 4 + 500 of output) of a 1000-token
    // minute, so a second one does not fit until the first settles at its actual usage (about 60).
    // Refilling 700 tokens at 1000 a minute would take ~40 s, far beyond this test's deadlines.
    const p = provider({ tokensPerMinute: 1000, maxOutputTokens: 500 });
    await warm(p);
    fake.hold();
    const all = Promise.all(
      [0, 1, 2].map((i) => p.decide(t.db, { agent: AGENT, labels: LABELS, text: `refund request ${i}` })),
    );
    for (let answered = 0; answered < 3; answered++) {
      const waiting = 2 - answered;
      await until(
        () => fake.held === 1 && p.limiterState().waiting === waiting,
        `one request at the endpoint, ${waiting} waiting for tokens`,
      );
      expect(fake.requests).toHaveLength(answered + 1);
      fake.release(1);
    }
    expect((await all).map((r) => r.label)).toEqual(['refund', 'refund', 'refund']);
    expect(fake.maxInFlight).toBe(1);
    expect(fake.timeline).toEqual(['received 0', 'answered 0', 'received 1', 'answered 1', 'received 2', 'answered 2']);
  });

  it('sends a request bigger than the whole budget instead of refusing it', async () => {
    const p = provider({ tokensPerMinute: 50, maxOutputTokens: 500 });
    expect((await p.decide(t.db, { agent: AGENT, labels: LABELS, text: 'refund' })).label).toBe('refund');
    expect(fake.requests).toHaveLength(1);
  });
});
