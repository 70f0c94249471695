// A changed workflow is a new version; items in flight finish on the version they started with.
import { createLocalProvider } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import {
  claimNextTask,
  executeStep,
  getItemDetail,
  submitVerdict,
  WorkflowRegistry,
  workflowHash,
} from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';

const input = z.object({ amount: z.number() });
const v1 = defineWorkflow({
  name: 'refund',
  input,
  start: 'approve',
  states: {
    approve: {
      kind: 'review',
      queue: 'refunds',
      labels: ['yes', 'no'],
      instructions: 'Approve the refund?',
      next: 'pay',
    },
    pay: { kind: 'task', run: (ctx) => ({ paid: ctx.input.amount, by: 'v1' }), next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});
// v2 pays through a different path.
const v2 = defineWorkflow({
  ...v1,
  states: { ...v1.states, pay: { kind: 'task', run: (ctx) => ({ paid: ctx.input.amount, by: 'v2' }), next: 'done' } },
});

let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [v1], { workers: false });
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

it('registers a changed definition as a new version and runs each item on its own', async () => {
  const deps = { db: t.db, boss: e.boss, registry: e.registry, provider: createLocalProvider() };
  const reviewer = await upsertUser(t.db, { email: 'r@ver.test', name: 'R', role: 'reviewer', password: 'x' });
  await joinQueues(t.db, reviewer.id, ['refunds']);
  const old = await e.submit('refund', { amount: 10 });
  await executeStep(deps, { itemId: old, state: 'approve', visit: 1 });

  // Registering the same definition again is not a new version; a changed one is.
  expect((await e.registry.register(t.db, v1)).created).toBe(false);
  expect(workflowHash(v2)).not.toBe(workflowHash(v1));
  const registered = await e.registry.register(t.db, v2);
  expect(registered).toMatchObject({ version: 2, created: true });
  const fresh = await e.submit('refund', { amount: 20 });
  expect((await getItemDetail(t.db, old)).workflow_version).toBe(1);
  expect((await getItemDetail(t.db, fresh)).workflow_version).toBe(2);

  // The old item resumes after its review on v1's path.
  const task = await t.db.transaction().execute((trx) => claimNextTask(trx, e, reviewer));
  await t.db
    .transaction()
    .execute((trx) =>
      submitVerdict(trx, e, reviewer.id, { taskId: task?.id as string, verdict: 'answer', label: 'yes' }),
    );
  await executeStep(deps, { itemId: old, state: 'pay', visit: 1 });
  const item = await t.db.selectFrom('items').select('context').where('id', '=', old).executeTakeFirstOrThrow();
  expect(item.context.pay).toEqual({ paid: 10, by: 'v1' });

  // A process that only knows v2 (after a deploy) still routes new items to v2 and finds v2 by id.
  const later = new WorkflowRegistry();
  await later.register(t.db, v2);
  expect(later.latest('refund')?.version).toBe(2);
  const versions = await t.db
    .selectFrom('workflow_versions')
    .select(['version', 'hash'])
    .where('name', '=', 'refund')
    .orderBy('version')
    .execute();
  expect(versions.map((v) => v.version)).toEqual([1, 2]);
  const configEvents = await t.db
    .selectFrom('audit_events')
    .select('data')
    .where('stream', '=', 'config')
    .where('action', '=', 'workflow.registered')
    .execute();
  expect(configEvents.map((c) => c.data.version)).toEqual([1, 2]);
});
