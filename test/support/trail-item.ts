// One item with a known decision trail, for the trail's tests (API, download, CLI, console): a
// real run (a task state, a decide state whose model calls a tool, a person's correction) through
// a whole Signoff on the fake OpenAI endpoint, after which the recorded times and confidences are
// pinned to round values so every figure of the trail can be worked out by hand.
import { type AgentTool, defineWorkflow } from '@signoff/core';
import type { DB } from '@signoff/db';
import { submitItem } from '@signoff/engine';
import { SYSTEM, upsertUser } from '@signoff/governance';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type FakeOpenAI, startFakeOpenAI } from '../fixtures/fake-openai';
import { signInApi } from './api-client';
import { joinQueues } from './queue-members';
import type { TestSignoff } from './signoff';
import { waitFor } from './signoff';

export const TRAIL_PASSWORD = 'correct horse battery staple';
export const TRAIL_REVIEWER = { email: 'rita.reviewer@trail.test', name: 'Rita Reviewer' };
export const TRAIL_OFFICER = { email: 'cora.compliance@trail.test', name: 'Cora Compliance' };
export const TRAIL_REASON = 'The customer asked for a new parcel, not their money back';
/** What the fake endpoint reports as the model version (`<model>-2024-07-18`). */
export const TRAIL_MODEL_VERSION = 'gpt-4o-mini-2024-07-18';
export const TRAIL_INPUT = {
  text: 'My parcel never arrived. Write to jane.doe@example.com or call +44 20 7946 0958',
  orderId: 'ORD-4411',
  card: '4111 1111 1111 1111',
};

const lookupOrder: AgentTool = {
  name: 'lookupOrder',
  description: 'Looks up an order by id',
  parameters: z.object({ orderId: z.string().regex(/^ORD-\d+$/) }),
  run: ({ orderId }: { orderId: string }) => ({ orderId, status: 'lost', value: 80 }),
};

export const trailFlow = defineWorkflow({
  name: 'trail-claims',
  input: z.object({ text: z.string(), orderId: z.string(), card: z.string() }),
  start: 'lookup',
  states: {
    lookup: { kind: 'task', run: () => ({ customer: 'C-17', email: 'jane.doe@example.com' }), next: 'settle' },
    settle: {
      kind: 'decide',
      agent: {
        name: 'trail-claims',
        instructions: 'Settle the delivery claim; look the order up first.',
        tools: [lookupOrder],
      },
      labels: ['refund', 'reship'],
      text: (ctx) => `${ctx.input.text} (order ${ctx.input.orderId})`,
      policy: {
        autoAccept: { maxError: 0.05, confidence: 0.95 },
        queue: 'trail-claims',
        risks: [{ name: 'every-claim', reason: 'Every claim is looked at', when: () => true }],
      },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

/** The fake model: looks the order up, then answers "refund". */
export function startTrailFake(): Promise<FakeOpenAI> {
  return startFakeOpenAI({
    toolCalls: (text) => [{ name: 'lookupOrder', arguments: { orderId: /ORD-\d+/.exec(text)?.[0] ?? 'none' } }],
    classify: () => ({ label: 'refund', rationale: 'The order is lost' }),
  });
}

/** Environment for `startTestSignoff` so its workers decide through the fake. */
export const trailEnv = (fake: FakeOpenAI) => ({ OPENAI_API_KEY: 'test', OPENAI_BASE_URL: fake.url });

/** The pinned clock of the seeded item: submitted at T0. */
export const T0 = new Date('2026-03-02T09:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

export interface SeededTrail {
  itemId: string;
  decisionId: string;
  taskId: string;
  calibratorId: string;
}

/**
 * Submits the item, lets the workers decide, has Rita claim it and correct the AI ("reship", with
 * `TRAIL_REASON`), waits for the item to succeed, then pins its clock: submitted T0; lookup ran
 * T0+0.2s..T0+0.5s; the decision at T0+2s (raw confidence 0.82, calibrated 0.74 by a Platt
 * calibrator of 240 labels); the task created at T0+3s, claimed at T0+63s, answered at T0+153s;
 * settle finished at T0+153s; done at T0+160s, when the item finished.
 */
export async function seedTrailItem(s: TestSignoff, key = 'trail-1'): Promise<SeededTrail> {
  const db = s.testDb.db;
  const rita = await upsertUser(db, { ...TRAIL_REVIEWER, role: 'reviewer', password: TRAIL_PASSWORD });
  await upsertUser(db, { ...TRAIL_OFFICER, role: 'compliance', password: TRAIL_PASSWORD });
  await joinQueues(db, rita.id, ['trail-claims']);
  const itemId = await submit(s, 'trail-claims', TRAIL_INPUT, key);
  await waitFor(
    () =>
      db
        .selectFrom('review_tasks')
        .select('id')
        .where('item_id', '=', itemId)
        .where('status', '=', 'pending')
        .executeTakeFirst(),
    { message: 'the decision is routed to review' },
  );
  const api = await signInApi(s.url, TRAIL_REVIEWER.email, TRAIL_PASSWORD);
  const task = await api.tasks.claimNext.mutate({});
  if (!task) throw new Error('Rita found no task to claim');
  await api.tasks.submit.mutate({ taskId: task.id, verdict: 'correct', label: 'reship', reason: TRAIL_REASON });
  await succeeded(db, itemId, 'the item succeeds after the verdict');
  return pinClock(db, itemId, task.id);
}

async function submit(s: TestSignoff, workflow: string, input: unknown, idempotencyKey: string): Promise<string> {
  const r = await s.testDb.db
    .transaction()
    .execute((trx) =>
      submitItem(trx, { registry: s.registry, boss: s.boss }, { workflow, input, idempotencyKey }, SYSTEM),
    );
  return r.id;
}

function succeeded(db: Kysely<DB>, itemId: string, message: string) {
  return waitFor(
    () =>
      db.selectFrom('items').select('id').where('id', '=', itemId).where('status', '=', 'succeeded').executeTakeFirst(),
    { message },
  );
}

async function pinClock(db: Kysely<DB>, itemId: string, taskId: string): Promise<SeededTrail> {
  const decision = await db.selectFrom('decisions').selectAll().where('item_id', '=', itemId).executeTakeFirstOrThrow();
  const calibrator = await db
    .insertInto('calibrators')
    .values({
      agent: decision.agent,
      model_version: decision.model_version,
      confidence_method: decision.confidence_method,
      prompt_version: decision.prompt_version,
      method: 'platt',
      params: JSON.stringify({ a: 1.1, b: -0.2 }),
      label_count: 240,
      metrics: JSON.stringify({}),
      active: false,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('items')
    .set({ created_at: at(0), finished_at: at(160) })
    .where('id', '=', itemId)
    .execute();
  const run = (state: string, from: number, to: number) =>
    db
      .updateTable('state_runs')
      .set({ started_at: at(from), finished_at: at(to) })
      .where('item_id', '=', itemId)
      .where('state', '=', state)
      .execute();
  await run('lookup', 0.2, 0.5);
  await run('settle', 0.5, 153);
  await run('done', 160, 160);
  await db
    .updateTable('decisions')
    .set({ created_at: at(2), confidence: 0.82, calibrated_confidence: 0.74, calibrator_id: calibrator.id })
    .where('id', '=', decision.id)
    .execute();
  await db
    .updateTable('review_tasks')
    .set({ created_at: at(3), claimed_at: at(63), completed_at: at(153) })
    .where('id', '=', taskId)
    .execute();
  await db
    .updateTable('reviews')
    .set({ created_at: at(153) })
    .where('task_id', '=', taskId)
    .execute();
  return { itemId, decisionId: decision.id, taskId, calibratorId: calibrator.id };
}

/** A workflow whose decisions are accepted automatically (fixed threshold, no risk rule). */
export const trailAutoFlow = defineWorkflow({
  name: 'trail-auto',
  input: z.object({ text: z.string(), orderId: z.string(), card: z.string() }),
  start: 'settle',
  states: {
    settle: {
      kind: 'decide',
      agent: { name: 'trail-auto', instructions: 'Settle the delivery claim.' },
      labels: ['refund', 'reship'],
      text: (ctx) => ctx.input.text,
      policy: { autoAcceptAt: 0.5, queue: 'trail-claims' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

/**
 * An item of `trailAutoFlow` accepted automatically, its decision's confidence pinned to 0.85 (raw
 * and calibrated): one "auto-accepted decision below 0.9".
 */
export async function seedAutoDecision(s: TestSignoff): Promise<string> {
  const db = s.testDb.db;
  const itemId = await submit(s, 'trail-auto', { ...TRAIL_INPUT, orderId: 'ORD-5120' }, 'auto-1');
  await succeeded(db, itemId, 'the auto-accepted item succeeds');
  await db
    .updateTable('decisions')
    .set({ confidence: 0.85, calibrated_confidence: 0.85 })
    .where('item_id', '=', itemId)
    .where('route', '=', 'auto')
    .executeTakeFirstOrThrow();
  return itemId;
}
