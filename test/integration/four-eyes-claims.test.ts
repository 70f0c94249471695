// Four-eyes end to end through the API's claim and submit (issue 11 point 3, with the queue's
// claim-next): a person who answered one slot of a review point is never handed another, the
// second slot goes to someone else, an adjudication task goes only to a lead who gave no verdict,
// and the lead's answer resumes the item. Real PostgreSQL, real engine, tRPC callers.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { defineWorkflow } from '@signoff/core';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';

const flow = defineWorkflow({
  name: 'four-eyes-claims',
  input: z.object({ n: z.number() }),
  start: 'approve',
  states: {
    approve: {
      kind: 'review',
      queue: 'approvals',
      labels: ['yes', 'no'],
      instructions: 'Approve the payout?',
      reviewers: 2,
      adjudicationQueue: 'approval-leads',
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
const users: Record<string, SessionUser> = {};
const api = (name: string) =>
  createCallerFactory(appRouter)({
    db: t.db,
    boss: e.boss,
    registry: e.registry,
    user: users[name],
    token: 't',
  } as unknown as Context).tasks;

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [flow]);
  for (const [name, role] of [
    ['ann', 'reviewer'],
    ['bob', 'reviewer'],
    ['max', 'lead'],
    ['lee', 'lead'],
  ] as const) {
    users[name] = await upsertUser(t.db, {
      email: `${name}@claims.test`,
      name,
      role,
      password: 'correct horse battery',
    });
    await joinQueues(t.db, users[name].id, ['approvals', 'approval-leads']);
  }
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

async function waiting(n: number): Promise<string> {
  const itemId = await e.submit('four-eyes-claims', { n });
  await e.settle(itemId, ['waiting']);
  return itemId;
}

it('the person who answered slot 1 is never handed slot 2; the next person is', async () => {
  const itemId = await waiting(1);
  const first = await api('ann').claimNext({ queue: 'approvals' });
  expect(first).toMatchObject({ item_id: itemId });
  // Asking again while holding it gives the same task, not the other slot.
  expect((await api('ann').claimNext({ queue: 'approvals' }))?.id).toBe(first?.id);
  expect(await api('ann').submit({ taskId: first?.id as string, verdict: 'answer', label: 'yes' })).toMatchObject({
    awaitingVerdicts: 1,
  });
  expect(await api('ann').claimNext({ queue: 'approvals' })).toBeNull();
  expect(await api('ann').claimNext({})).toBeNull();
  const second = await api('bob').claimNext({ queue: 'approvals' });
  expect(second).toMatchObject({ item_id: itemId });
  expect(second?.id).not.toBe(first?.id);
  await api('bob').submit({ taskId: second?.id as string, verdict: 'answer', label: 'yes' });
  expect((await e.settle(itemId)).context.approve).toMatchObject({ label: 'yes', reviewers: 2 });
});

it('two claims by one person at the same moment never hold both slots', async () => {
  const itemId = await waiting(2);
  const [a, b] = await Promise.all([api('ann').claimNext({}), api('ann').claimNext({})]);
  expect(a?.id).toBe(b?.id);
  const held = await t.db
    .selectFrom('review_tasks')
    .select('id')
    .where('item_id', '=', itemId)
    .where('assignee_id', '=', users.ann?.id as string)
    .execute();
  expect(held).toHaveLength(1);
  await api('ann').submit({ taskId: a?.id as string, verdict: 'answer', label: 'no' });
  const other = await api('bob').claimNext({});
  await api('bob').submit({ taskId: other?.id as string, verdict: 'answer', label: 'no' });
  expect((await e.settle(itemId)).status).toBe('succeeded');
});

it('a disagreement goes to a lead who gave no verdict; reviewers and the lead who reviewed are not handed it', async () => {
  const itemId = await waiting(3);
  const annTask = await api('ann').claimNext({ queue: 'approvals' });
  if (!annTask) throw new Error('Ann got nothing');
  expect(annTask.item_id).toBe(itemId);
  await api('ann').submit({ taskId: annTask.id, verdict: 'answer', label: 'yes' });
  const maxTask = await api('max').claimNext({ queue: 'approvals' });
  if (!maxTask) throw new Error('Max got nothing');
  expect(maxTask.item_id).toBe(itemId);
  expect(await api('max').submit({ taskId: maxTask.id, verdict: 'answer', label: 'no' })).toMatchObject({
    adjudication: true,
  });
  // Bob is a reviewer, Max answered a slot: neither is handed the adjudication.
  expect(await api('bob').claimNext({ queue: 'approval-leads' })).toBeNull();
  expect(await api('max').claimNext({ queue: 'approval-leads' })).toBeNull();
  const adjudication = await api('lee').claimNext({ queue: 'approval-leads' });
  expect(adjudication).toMatchObject({ item_id: itemId, queue: 'approval-leads' });
  await api('lee').submit({ taskId: adjudication?.id as string, verdict: 'confirm', label: 'no' });
  expect((await e.settle(itemId)).context.approve).toMatchObject({ label: 'no', reviewers: 2, adjudicated: true });
});
