// Which queues `listQueues` knows: every queue a stored workflow definition routes to (policy, risk
// rule, QA sample, explicit and default escalation, review state), those with members, and those
// holding open tasks, counted; done tasks do not make a queue. Definitions are stored JSON, as the
// registry writes them, so the CLI (which has no registry) sees the same list as the API.
import { addQueueMember, listQueues, SYSTEM, upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

it('gathers queues from stored definitions, members and open tasks', async () => {
  const definition = (states: Record<string, unknown>) => JSON.stringify({ name: 'x', initial: 'a', states });
  const [kyc] = await t.db
    .insertInto('workflow_versions')
    .values([
      {
        name: 'kyc',
        version: 1,
        hash: 'h1',
        definition: definition({
          screen: {
            kind: 'decide',
            policy: {
              queue: 'kyc',
              sampleQueue: 'kyc-qa',
              dueInMinutes: 60,
              risks: [
                { name: 'pep', reason: 'PEP', queue: 'kyc-pep' },
                { name: 'other', reason: 'x' },
              ],
            },
          },
          approve: { kind: 'review', queue: 'kyc-approvals', escalateTo: 'kyc-managers', dueInMinutes: 30 },
          done: { kind: 'final' },
        }),
      },
      // An older version of another workflow still counts (items on it route by it); no due time: no escalations.
      { name: 'refunds', version: 1, hash: 'h2', definition: definition({ check: { kind: 'review', queue: 'kyc' } }) },
    ])
    .returning('id')
    .execute();
  const lee = await upsertUser(t.db, { email: 'lee@test', name: 'Lee', role: 'lead', password: 'x' });
  await t.db.transaction().execute((trx) => addQueueMember(trx, { queue: 'night', userId: lee.id }, SYSTEM));

  const [item] = await t.db
    .insertInto('items')
    .values({
      workflow_name: 'kyc',
      workflow_version_id: kyc?.id as string,
      input: JSON.stringify({}),
      status: 'waiting',
    })
    .returning('id')
    .execute();
  const task = (queue: string, status: 'pending' | 'claimed' | 'done', visit: number) => ({
    item_id: item?.id as string,
    state: 'approve',
    visit,
    queue,
    status,
    labels: JSON.stringify(['yes', 'no']),
    instructions: 'x',
    ...(status === 'claimed' ? { assignee_id: lee.id } : {}),
  });
  await t.db
    .insertInto('review_tasks')
    .values([
      task('stuck-items', 'pending', 1),
      task('kyc', 'claimed', 2),
      task('kyc', 'pending', 3),
      task('closed', 'done', 4),
    ])
    .execute();

  const queues = await listQueues(t.db);
  expect(queues.map((q) => [q.queue, q.workflows, q.openTasks, q.members.map((m) => m.email)])).toEqual([
    ['escalations', ['kyc'], 0, []],
    ['kyc', ['kyc', 'refunds'], 2, []],
    ['kyc-approvals', ['kyc'], 0, []],
    ['kyc-managers', ['kyc'], 0, []],
    ['kyc-pep', ['kyc'], 0, []],
    ['kyc-qa', ['kyc'], 0, []],
    ['night', [], 0, ['lee@test']],
    ['stuck-items', [], 1, []],
  ]);
});
