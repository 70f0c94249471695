// A decide state and an open circuit breaker: an item that arrives during a short outage waits for
// the breaker's probe (a delayed job at the probe time, its try not spent) instead of going to
// review without one request reaching the endpoint; past its budget it goes to review, and the
// reason (and the decision row) name the real cause and model, not the breaker's countdown.
//
// The endpoint is a provider of our own that fails the way the OpenAI-compatible provider says it
// does (`AppError.ai`), so these tests do not depend on how that provider phrases its failures.

import { type DecideRequest, type DecideResult, type DecisionProvider, withCircuitBreaker } from '@signoff/ai';
import { type AiFailure, AppError, defineWorkflow } from '@signoff/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { waitFor } from '../support/signoff';

const ENDPOINT = 'http://fake.invalid/v1';
// The agents name no model: the one in the decision rows comes from the provider's failure details.
const MODEL = 'default-model';
const agent = { name: 'triage', instructions: 'Classify the support request.' };
const workflow = (name: string, retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs?: number }) =>
  defineWorkflow({
    name,
    input: z.object({ text: z.string() }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent,
        labels: ['billing', 'bug', 'account'],
        text: (ctx) => ctx.input.text,
        retry: { ...retry, jitter: 0 },
        policy: { autoAcceptAt: 0.5, queue: 'support' },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
// Three tries, 60 s of breaker wait per try (the default maxDelayMs).
const patient = workflow('patient-triage', { maxAttempts: 3, initialDelayMs: 50 });
// Two tries, and a try may wait for the breaker 1 s at most: less than the breaker stays open.
const impatient = workflow('impatient-triage', { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 1000 });
// A checker agent: its failures leave the answer unverified, with the cause in the reason.
const checked = defineWorkflow({
  name: 'checked-triage',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent,
      checker: { agent: { name: 'checker', instructions: 'Independently: classify the support request.' } },
      labels: ['billing', 'bug', 'account'],
      text: (ctx) => ctx.input.text,
      retry: { maxAttempts: 1 },
      policy: { autoAcceptAt: 0.5, queue: 'support' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const outage: AiFailure = {
  kind: 'http_error',
  provider: 'openai',
  endpoint: ENDPOINT,
  model: MODEL,
  status: 503,
  providerMessage: 'upstream down',
};

/**
 * An OpenAI-compatible endpoint as the provider reports it: fails with `failure` while one is set
 * (for every agent, or only for the agent `onlyFor`).
 */
function fakeEndpoint() {
  const requests: string[] = [];
  let failure: AiFailure | undefined;
  let onlyFor: string | undefined;
  const provider: DecisionProvider = {
    name: 'openai',
    async decide(_db, req: DecideRequest): Promise<DecideResult> {
      requests.push(req.text);
      if (failure && (onlyFor === undefined || onlyFor === req.agent.name))
        throw new AppError('AI_UNAVAILABLE', `request failed (${failure.status})`, { ai: failure });
      return {
        label: 'bug',
        confidence: 0.9,
        score: 2.2,
        confidenceMethod: 'logprobs',
        provider: 'openai',
        model: MODEL,
        modelVersion: `${MODEL}-2026`,
        promptVersion: 'p1',
        inputHash: 'h',
        latencyMs: 1,
      };
    },
  };
  return {
    provider,
    requests,
    fail(f: AiFailure | undefined, agentName?: string) {
      failure = f;
      onlyFor = agentName;
    },
  };
}

const req: DecideRequest = { agent, labels: ['billing', 'bug', 'account'], text: 'opens the circuit' };

describe('decide states and the circuit breaker', () => {
  let t: TestDatabase;
  let e: TestEngine;
  // The engine's provider; each test puts its own endpoint and breaker behind it.
  let current: DecisionProvider;
  beforeAll(async () => {
    t = await createTestDatabase();
    const provider: DecisionProvider = { name: 'openai', decide: (db, r) => current.decide(db, r) };
    e = await startTestEngine(t, [patient, impatient, checked], { provider });
  });
  afterAll(async () => {
    await e?.stop();
    await t?.drop();
  });

  const retries = (itemId: string) =>
    t.db
      .selectFrom('audit_events')
      .select(['data', 'created_at'])
      .where('stream', '=', itemId)
      .where('action', '=', 'state.retry_scheduled')
      .orderBy('seq')
      .execute();
  const tasksOf = (ids: string[]) =>
    t.db.selectFrom('review_tasks').select(['item_id', 'reasons']).where('item_id', 'in', ids).execute();
  const decisionsOf = (ids: string[]) =>
    t.db
      .selectFrom('decisions')
      .select(['item_id', 'label', 'route', 'model', 'model_version'])
      .where('item_id', 'in', ids)
      .execute();

  it('an item that arrives while the circuit is open waits for the probe, and the model decides it', {
    timeout: 60_000,
  }, async () => {
    const endpoint = fakeEndpoint();
    // The breaker's clock stands still until the items have been refused: they arrive while it
    // is open, however slowly this machine runs; then it follows the real clock again.
    let frozen: number | undefined;
    const breaker = withCircuitBreaker(endpoint.provider, {
      failureThreshold: 2,
      openMs: 2000,
      now: () => frozen ?? Date.now(),
    });
    current = breaker;
    endpoint.fail(outage);
    frozen = Date.now();
    const openedAt = frozen;
    for (let i = 0; i < 2; i++) await breaker.decide(t.db, req).catch(() => undefined);
    expect(breaker.breakerState()).toBe('open');
    // The endpoint is back; the breaker does not know until its probe.
    endpoint.fail(undefined);

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await e.submit('patient-triage', { text: `the app crashes #${i}` }));
    for (const id of ids)
      await waitFor(async () => (await retries(id)).length > 0, { message: `item ${id} refused by the breaker` });
    frozen = undefined;

    const retryAt = new Date(openedAt + 2000).toISOString();
    for (const id of ids) {
      const [first] = await retries(id);
      if (!first) throw new Error(`no retry of ${id}`);
      // The retry waits for the probe: its delay covers the time to the breaker's retryAt.
      expect(first.data).toMatchObject({
        waitsFor: 'circuit_breaker_probe',
        retryAt,
        attempt: 1,
        nextAttempt: 2,
        triesSpent: 0,
        error: { code: 'AI_UNAVAILABLE', ai: { kind: 'circuit_open', lastFailure: outage } },
      });
      expect(first.data.delayMs).toBeGreaterThanOrEqual(openedAt + 2000 - first.created_at.getTime());
    }
    // Every job the breaker put off starts at its probe time or after it, never before.
    const deferred = await sql<{ item_id: string; start_after: Date; retry_at: string }>`
      SELECT j.data->>'itemId' AS item_id, j.start_after, a.data->>'retryAt' AS retry_at
        FROM pgboss.job j
        JOIN audit_events a ON a.stream = j.data->>'itemId' AND a.action = 'state.retry_scheduled'
                           AND (a.data->>'nextAttempt')::int = (j.data->>'attempt')::int
       WHERE j.data->>'itemId' = ANY(${ids}) AND (j.data->>'deferrals')::int >= 1`.execute(t.db);
    expect(new Set(deferred.rows.map((r) => r.item_id))).toEqual(new Set(ids));
    for (const r of deferred.rows) expect(r.start_after.getTime()).toBeGreaterThanOrEqual(Date.parse(r.retry_at));

    for (const id of ids)
      expect((await e.settle(id, ['succeeded', 'waiting', 'failed'], 30_000)).status).toBe('succeeded');
    // Decided by the model; none went to review; no item's request failed (each went through
    // at the probe or after it), and its one try is what the state run records.
    expect(await tasksOf(ids)).toEqual([]);
    const decisions = await decisionsOf(ids);
    expect(decisions).toHaveLength(3);
    for (const d of decisions) expect(d).toMatchObject({ label: 'bug', route: 'auto', model: MODEL });
    expect(endpoint.requests).toHaveLength(2 + 3);
    expect(breaker.breakerState()).toBe('closed');
    const runs = await t.db
      .selectFrom('state_runs')
      .select('attempts')
      .where('item_id', 'in', ids)
      .where('state', '=', 'classify')
      .execute();
    expect(runs).toEqual(Array(3).fill({ attempts: 1 }));
  });

  it('past its budget an item refused by the breaker goes to review with the failure that opened it', {
    timeout: 60_000,
  }, async () => {
    const endpoint = fakeEndpoint();
    const breaker = withCircuitBreaker(endpoint.provider, { failureThreshold: 1, openMs: 60_000 });
    current = breaker;
    endpoint.fail(outage);
    await breaker.decide(t.db, req).catch(() => undefined);
    expect(breaker.breakerState()).toBe('open');

    const id = await e.submit('impatient-triage', { text: 'my invoice is wrong' });
    await e.settle(id, ['waiting', 'succeeded', 'failed'], 30_000);
    const [task] = await tasksOf([id]);
    expect(task?.reasons).toMatchObject([
      {
        code: 'ai_unavailable',
        message: `OpenAI-compatible endpoint ${ENDPOINT} (model ${MODEL}) answered HTTP 503: "upstream down"; further calls paused by the circuit breaker`,
        ai: { kind: 'circuit_open', provider: 'openai', model: MODEL, lastFailure: outage },
      },
    ]);
    expect(JSON.stringify(task?.reasons)).not.toMatch(/next probe/);
    expect(await decisionsOf([id])).toMatchObject([
      { label: null, route: 'review', model: MODEL, model_version: MODEL },
    ]);
    // A 60 s wait is past the 1 s budget: both tries spent on refusals, one ordinary retry.
    expect(endpoint.requests).toHaveLength(1);
    const scheduled = await retries(id);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]?.data.waitsFor).toBeUndefined();
  });

  it('an endpoint that answers HTTP 400 or 500 is named in the review reason with its status, message and parameter', {
    timeout: 60_000,
  }, async () => {
    const endpoint = fakeEndpoint();
    current = endpoint.provider;
    const cases: [AiFailure, string][] = [
      [
        {
          kind: 'refused_parameter',
          provider: 'openai',
          endpoint: ENDPOINT,
          model: MODEL,
          status: 400,
          providerMessage: 'logprobs is not supported',
          parameter: 'logprobs',
        },
        `OpenAI-compatible endpoint ${ENDPOINT} (model ${MODEL}) answered HTTP 400: "logprobs is not supported" (parameter logprobs)`,
      ],
      [
        {
          kind: 'http_error',
          provider: 'openai',
          endpoint: ENDPOINT,
          model: MODEL,
          status: 500,
          providerMessage: 'boom',
        },
        `OpenAI-compatible endpoint ${ENDPOINT} (model ${MODEL}) answered HTTP 500: "boom"`,
      ],
    ];
    for (const [failure, message] of cases) {
      endpoint.fail(failure);
      const id = await e.submit('impatient-triage', { text: `status ${failure.status}` });
      await e.settle(id, ['waiting', 'succeeded', 'failed'], 30_000);
      const [task] = await tasksOf([id]);
      expect(task?.reasons).toEqual([{ code: 'ai_unavailable', message, ai: failure }]);
      expect(await decisionsOf([id])).toMatchObject([{ route: 'review', model: MODEL, model_version: MODEL }]);
    }
  });

  it('a checker whose endpoint refuses leaves the answer unverified, and the reason says why', async () => {
    const endpoint = fakeEndpoint();
    current = endpoint.provider;
    const failure: AiFailure = {
      kind: 'refused_parameter',
      provider: 'openai',
      endpoint: ENDPOINT,
      model: MODEL,
      status: 400,
      providerMessage: 'logprobs is not supported',
      parameter: 'logprobs',
    };
    endpoint.fail(failure, 'checker');
    const id = await e.submit('checked-triage', { text: 'the app crashes when I save' });
    await e.settle(id, ['waiting', 'succeeded', 'failed'], 30_000);
    const [task] = await tasksOf([id]);
    expect(task?.reasons).toEqual([
      {
        code: 'ai_unavailable',
        message: `Checker agent "checker" could not answer, so the answer is unverified: OpenAI-compatible endpoint ${ENDPOINT} (model ${MODEL}) answered HTTP 400: "logprobs is not supported" (parameter logprobs)`,
        ai: failure,
      },
    ]);
  });
});
