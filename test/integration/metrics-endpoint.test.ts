// GET /metrics end to end: a whole Signoff (HTTP, workers, the local model and an OpenAI-compatible
// fake endpoint), items run through it, a reviewer answers a task, and each scrape is read as the
// Prometheus text format and checked against counts written by hand from what the test did.

import { defineWorkflow } from '@signoff/core';
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { signInApi } from '../support/api-client';
import { parsePrometheusText, type Scrape } from '../support/prometheus-text';
import { joinQueuesByEmail } from '../support/queue-members';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const TOKEN = 'metrics-test-token-0123456789';
const input = z.object({ text: z.string(), urgent: z.boolean().optional() });

/** A workflow of one decide state (`classify`), then `done`. */
function classifyFlow(name: string, state: Record<string, unknown>) {
  return defineWorkflow({
    name,
    input,
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: `${name}-agent`, instructions: 'Is this a refund request?' },
        labels: ['refund', 'other'],
        text: (ctx) => ctx.input.text,
        policy: { autoAcceptAt: 0, queue: name },
        next: 'done',
        ...state,
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
}

// The local model, always confident enough (threshold 0); an urgent item is a risk: review.
const localFlow = classifyFlow('metrics-local', {
  agent: { name: 'metrics-local-agent', provider: 'local', instructions: 'Is this a refund request?' },
  policy: {
    autoAcceptAt: 0,
    queue: 'metrics-local',
    risks: [
      {
        name: 'urgent',
        when: (ctx: { input: { urgent?: boolean } }) => ctx.input.urgent === true,
        reason: 'Urgent',
        queue: 'metrics-urgent',
      },
    ],
  },
});

// The fake endpoint; every auto-accepted decision is also sampled for QA; one try, so an outage
// goes to review at once (reason ai_unavailable).
const remoteFlow = classifyFlow('metrics-remote', {
  agent: { name: 'metrics-remote-agent', model: 'fake-model', instructions: 'Is this a refund request?' },
  policy: { autoAcceptAt: 0, queue: 'metrics-remote', sampleRate: 1, sampleQueue: 'metrics-qa' },
  retry: { maxAttempts: 1 },
});

let s: TestSignoff;
let fake: FakeOpenAI;

beforeAll(async () => {
  // Every request: 1000 prompt tokens and 100 per answer.
  fake = await startFakeOpenAI({ usage: (_b, choices) => ({ prompt_tokens: 1000, completion_tokens: 100 * choices }) });
  s = await startTestSignoff({
    workflows: [localFlow, remoteFlow],
    env: {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.url,
      OPENAI_MODEL: 'fake-model',
      SIGNOFF_AI_MAX_RETRIES: '0',
      SIGNOFF_AI_PRICING: JSON.stringify({ 'fake-model': { inputPerMillion: 1, outputPerMillion: 2 } }),
      SIGNOFF_METRICS_TOKEN: TOKEN,
    },
  });
  await s.db
    .insertInto('seed_examples')
    .values([
      { agent: 'metrics-local-agent', text: 'refund my order please', label: 'refund' },
      { agent: 'metrics-local-agent', text: 'how do I log in', label: 'other' },
    ])
    .execute();
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

async function scrape(token: string | undefined = TOKEN): Promise<Scrape> {
  const r = await fetch(`${s.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await r.text());
}

/** Scrapes until `check` holds (the database series and counters settle as workers commit). */
async function scrapeUntil(check: (m: Scrape) => boolean, message: string): Promise<Scrape> {
  return waitFor(
    async () => {
      const m = await scrape();
      return check(m) ? m : undefined;
    },
    { message, timeoutMs: 30_000 },
  );
}

async function submit(workflow: string, text: string, urgent = false): Promise<string> {
  const r = await fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow, input: { text, ...(urgent ? { urgent } : {}) } }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

async function settled(ids: string[]) {
  await waitFor(
    async () => {
      const rows = await s.db.selectFrom('items').select('status').where('id', 'in', ids).execute();
      return rows.length === ids.length && rows.every((r) => r.status !== 'running');
    },
    { message: `${ids.length} items settle` },
  );
}

describe('GET /metrics', () => {
  it('with SIGNOFF_METRICS_TOKEN set, answers 401 without the token or with another one', async () => {
    const none = await fetch(`${s.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('signoff_');
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(401);
    const m = await scrape();
    expect(m.value('signoff_database_up')).toBe(1);
    // Node's own series are there too, and the breaker of the configured endpoint starts closed.
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.value('signoff_ai_circuit_breaker_state', { provider: 'openai' })).toBe(0);
  });

  it('counts decisions by route and reason, transitions, AI calls, tokens and cost, and items by state', async () => {
    // Local model: two ordinary items (auto), one urgent (review: risk_rule).
    const local = [
      await submit('metrics-local', 'refund my order'),
      await submit('metrics-local', 'how do I log in'),
      await submit('metrics-local', 'refund now', true),
    ];
    // The endpoint: two answers, each auto-accepted and sampled for QA.
    const remote = [await submit('metrics-remote', 'refund my order'), await submit('metrics-remote', 'other thing')];
    await settled([...local, ...remote]);

    const m = await scrapeUntil(
      (x) => x.sum('signoff_transitions_total') >= 5 && x.sum('signoff_review_tasks') >= 3,
      'five transitions counted',
    );
    const d = (workflow: string, route: string, reason: string) =>
      m.value('signoff_decisions_total', { workflow, state: 'classify', route, reason });
    expect(d('metrics-local', 'auto', 'none')).toBe(2);
    expect(d('metrics-local', 'review', 'risk_rule')).toBe(1);
    expect(d('metrics-remote', 'sampled', 'qa_sample')).toBe(2);
    expect(m.sum('signoff_decisions_total')).toBe(5);
    expect(m.value('signoff_decision_reasons_total', { workflow: 'metrics-local', reason: 'risk_rule' })).toBe(1);
    // One transition per item: its decide state's result, the final state evaluated with it.
    expect(m.value('signoff_transitions_total', { workflow: 'metrics-local', outcome: 'state-result' })).toBe(3);
    expect(m.value('signoff_transitions_total', { workflow: 'metrics-remote', outcome: 'state-result' })).toBe(2);

    // AI calls by provider and model; tokens and cost as the fake reported and the price list says.
    expect(m.value('signoff_ai_calls_total', { provider: 'local', outcome: 'ok' })).toBe(3);
    expect(m.value('signoff_ai_calls_total', { provider: 'openai', model: 'fake-model', outcome: 'ok' })).toBe(2);
    expect(
      m.value('signoff_ai_latency_seconds_count', { provider: 'openai', model: 'fake-model', outcome: 'ok' }),
    ).toBe(2);
    expect(
      m.value('signoff_ai_latency_seconds_bucket', {
        provider: 'openai',
        model: 'fake-model',
        outcome: 'ok',
        le: '+Inf',
      }),
    ).toBe(2);
    expect(m.value('signoff_ai_latency_seconds_count', { provider: 'local', outcome: 'ok' })).toBe(3);
    const requests = fake.requests.length;
    expect(m.value('signoff_ai_tokens_total', { provider: 'openai', model: 'fake-model', direction: 'in' })).toBe(
      1000 * requests,
    );
    expect(m.value('signoff_ai_tokens_total', { provider: 'openai', model: 'fake-model', direction: 'out' })).toBe(
      100 * requests,
    );
    expect(m.value('signoff_ai_cost_usd_total', { provider: 'openai', model: 'fake-model' })).toBeCloseTo(
      requests * (1000 * 1 + 100 * 2) * 1e-6,
      12,
    );
    // The same tokens the decisions record.
    const recorded = await s.db
      .selectFrom('decisions')
      .select((eb) => eb.fn.sum<string>('tokens_in').as('t'))
      .where('provider', '=', 'openai')
      .executeTakeFirstOrThrow();
    expect(Number(recorded.t)).toBe(1000 * requests);
    expect(m.sum('signoff_ai_errors_total')).toBe(0);

    // Items (from the database): two finished at `done`, the urgent one waiting at `classify`.
    expect(m.value('signoff_items', { workflow: 'metrics-local', status: 'succeeded', state: 'done' })).toBe(2);
    expect(m.value('signoff_items', { workflow: 'metrics-local', status: 'waiting', state: 'classify' })).toBe(1);
    expect(m.value('signoff_items', { workflow: 'metrics-remote', status: 'succeeded', state: 'done' })).toBe(2);
    // Review tasks: the urgent decision, and the two QA samples; their oldest pending ages are there.
    expect(m.value('signoff_review_tasks', { queue: 'metrics-urgent', kind: 'decision', status: 'pending' })).toBe(1);
    expect(m.value('signoff_review_tasks', { queue: 'metrics-qa', kind: 'qa', status: 'pending' })).toBe(2);
    expect(m.value('signoff_review_task_oldest_pending_seconds', { queue: 'metrics-urgent' })).toBeGreaterThanOrEqual(
      0,
    );
    expect(m.value('signoff_review_task_oldest_pending_seconds', { queue: 'metrics-qa' })).toBeGreaterThanOrEqual(0);
    expect(m.value('signoff_review_task_latency_seconds_count', { queue: 'metrics-urgent' })).toBeUndefined();
  });

  it('observes a review task’s latency when a reviewer answers it, and the queue empties', async () => {
    await joinQueuesByEmail(s.db, 'reviewer@demo.signoff', ['metrics-urgent']);
    const reviewer = await signInApi(s.url, 'reviewer@demo.signoff', DEMO_PASSWORD);
    const task = await reviewer.tasks.claimNext.mutate({ queue: 'metrics-urgent' });
    expect(task).toBeTruthy();
    const m0 = await scrape();
    expect(m0.value('signoff_review_tasks', { queue: 'metrics-urgent', kind: 'decision', status: 'claimed' })).toBe(1);
    await reviewer.tasks.submit.mutate({ taskId: task?.id as string, verdict: 'confirm', label: 'refund' });
    const m = await scrapeUntil(
      (x) => x.value('signoff_review_task_latency_seconds_count', { queue: 'metrics-urgent', kind: 'decision' }) === 1,
      'the answered task is observed',
    );
    expect(
      m.value('signoff_review_task_latency_seconds_bucket', { queue: 'metrics-urgent', kind: 'decision', le: '+Inf' }),
    ).toBe(1);
    expect(m.value('signoff_review_tasks', { queue: 'metrics-urgent' })).toBeUndefined();
    expect(m.value('signoff_review_task_oldest_pending_seconds', { queue: 'metrics-urgent' })).toBeUndefined();
    // A later scrape does not count the same task again.
    const again = await scrape();
    expect(
      again.value('signoff_review_task_latency_seconds_count', { queue: 'metrics-urgent', kind: 'decision' }),
    ).toBe(1);
    // The item finished once the verdict resumed it.
    await scrapeUntil(
      (x) => x.value('signoff_items', { workflow: 'metrics-local', status: 'succeeded', state: 'done' }) === 3,
      'the reviewed item finishes',
    );
  });

  it('reports auto-accept paused by the drift guard, from the policy versions and guards', async () => {
    // As the drift guard leaves them: the certified version, then a paused one by the system.
    const [v1] = await s.db
      .insertInto('policy_versions')
      .values([
        {
          workflow_name: 'metrics-certified',
          state: 'classify',
          version: 1,
          max_error: 0.05,
          confidence: 0.95,
          audit_rate: 0.05,
          status: 'certified',
          reason: 'certificate applied',
          created_by: JSON.stringify({ type: 'user', id: null }),
        },
      ])
      .returning('id')
      .execute();
    await s.db
      .insertInto('drift_guards')
      .values({
        policy_version_id: v1?.id as string,
        samples: 40,
        wrong: 9,
        e_value: 25,
        alarm_at: 20,
        alarmed_at: new Date(),
      })
      .execute();
    await s.db
      .insertInto('policy_versions')
      .values({
        workflow_name: 'metrics-certified',
        state: 'classify',
        version: 2,
        max_error: 0.05,
        confidence: 0.95,
        audit_rate: 0.05,
        status: 'paused',
        reason: 'drift guard alarmed',
        created_by: JSON.stringify({ type: 'system', id: null }),
      })
      .execute();
    const m = await scrape();
    const labels = { workflow: 'metrics-certified', state: 'classify' };
    expect(m.value('signoff_auto_accept_paused', labels)).toBe(1);
    expect(m.value('signoff_auto_accept_pauses_total', { ...labels, by: 'drift_guard' })).toBe(1);
    expect(m.value('signoff_auto_accept_pauses_total', { ...labels, by: 'person' })).toBe(0);
    expect(m.value('signoff_drift_guard_alarms_total', labels)).toBe(1);
    expect(m.types.get('signoff_drift_guard_alarms_total')).toBe('counter');
  });

  it('counts the endpoint’s errors by kind and shows its circuit breaker opening', async () => {
    fake.setFaults([{ kind: 'status', status: 500 }]);
    const failing = [];
    for (let i = 0; i < 5; i++) failing.push(await submit('metrics-remote', `outage ${i}`));
    await settled(failing);
    const m = await scrapeUntil(
      (x) => x.value('signoff_ai_circuit_breaker_state', { provider: 'openai' }) === 2,
      'the breaker opens after five failures',
    );
    expect(m.value('signoff_ai_errors_total', { provider: 'openai', model: 'fake-model', kind: 'http_error' })).toBe(5);
    expect(m.value('signoff_ai_latency_seconds_count', { provider: 'openai', outcome: 'error' })).toBe(5);
    expect(
      m.value('signoff_decisions_total', { workflow: 'metrics-remote', route: 'review', reason: 'ai_unavailable' }),
    ).toBe(5);
    expect(m.value('signoff_ai_circuit_breaker_changes_total', { provider: 'openai', state: 'open' })).toBe(1);
    expect(m.value('signoff_review_tasks', { queue: 'metrics-remote', kind: 'decision', status: 'pending' })).toBe(5);

    // While it is open, a call is refused without a request: an error of kind circuit_open, no latency.
    const sent = fake.requests.length;
    await submit('metrics-remote', 'refused');
    const refused = await scrapeUntil(
      (x) => (x.value('signoff_ai_errors_total', { provider: 'openai', kind: 'circuit_open' }) ?? 0) >= 1,
      'a refusal of the open breaker is counted',
    );
    expect(fake.requests.length).toBe(sent);
    expect(refused.value('signoff_ai_latency_seconds_count', { provider: 'openai', outcome: 'error' })).toBe(5);
  });

  it('never answers 500 while the database is unreachable: the database series are left out', async () => {
    // A pool on a closed port stands for a lost database.
    const { createDb } = await import('@signoff/db');
    const { createHttpApp } = await import('@signoff/server');
    const url = new URL(s.databaseUrl);
    url.port = '1';
    const lost = createDb(url.toString(), { max: 1 });
    try {
      const app = createHttpApp(
        { db: lost, boss: s.boss, registry: s.registry },
        { metrics: { metrics: s.metrics, access: { enabled: true } } },
      );
      const r = await app.request('/metrics');
      expect(r.status).toBe(200);
      const m = parsePrometheusText(await r.text());
      expect(m.value('signoff_database_up')).toBe(0);
      expect(m.has('signoff_items')).toBe(true); // the family is declared, without samples
      expect(m.sum('signoff_items')).toBe(0);
      expect(m.value('signoff_transitions_total', { workflow: 'metrics-local', outcome: 'state-result' })).toBe(3);
    } finally {
      await lost.destroy();
    }
    await sql`SELECT 1`.execute(s.db);
  });
});
