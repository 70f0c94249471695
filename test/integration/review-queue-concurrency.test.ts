// 20,000 claims by 40 reviewers at once, over one pool of 16 connections: no task is ever handed
// to two reviewers. Each reviewer claims, answers (the task is marked done) and claims again until
// nothing is left for them; the check is made three ways: the answers the claims returned, the
// task rows, and the `task.claimed` events on the items' trails.
import { claimNextTask, type TaskUser } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { queueFlow } from '../support/review-tasks';

const TASKS = 20_000;
const REVIEWERS = 40;
const QUEUES = ['cq-0', 'cq-1', 'cq-2', 'cq-3'];

let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [queueFlow], { workers: false });
  const versionId = (e.registry.latest(queueFlow.name) as { versionId: string }).versionId;
  // One waiting item per task; priorities 0-4 and due times spread so the claim order matters.
  await sql`
    INSERT INTO items (id, workflow_name, workflow_version_id, input, status, current_state, visits)
    SELECT md5('item' || g)::uuid, ${queueFlow.name}, ${versionId}, jsonb_build_object('n', g), 'waiting', 'review',
           '{"review": 1}'::jsonb
      FROM generate_series(1, ${TASKS}) g`.execute(t.db);
  await sql`
    INSERT INTO review_tasks (item_id, state, visit, queue, status, labels, instructions, kind, priority, due_at, created_at)
    SELECT md5('item' || g)::uuid, 'review', 1, (${QUEUES}::text[])[g % 4 + 1], 'pending', '["yes","no"]', 'Yes or no?',
           'review', g % 5, CASE WHEN g % 3 = 0 THEN now() + make_interval(mins => g % 97) END,
           now() - make_interval(secs => g)
      FROM generate_series(1, ${TASKS}) g`.execute(t.db);
  await sql`ANALYZE review_tasks`.execute(t.db);
}, 60_000);
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

it('20,000 concurrent claims never hand one task to two reviewers', { timeout: 300_000 }, async () => {
  const reviewers: (TaskUser & { queues: string[] })[] = [];
  for (let i = 0; i < REVIEWERS; i++) {
    // Each reviewer works two of the four queues; every queue has 20 reviewers.
    const queues = [QUEUES[i % 4] as string, QUEUES[(i + 1) % 4] as string];
    const user = await upsertUser(t.db, { email: `c${i}@conc.test`, name: `C ${i}`, role: 'reviewer', password: 'x' });
    await joinQueues(t.db, user.id, queues);
    reviewers.push({ ...user, queues });
  }
  const gotBy = new Map<string, string>();
  const returnedTwice: string[] = [];
  const outsideQueues: string[] = [];
  await Promise.all(
    reviewers.map(async (reviewer) => {
      for (;;) {
        const task = await t.db.transaction().execute((trx) => claimNextTask(trx, e, reviewer));
        if (!task) return;
        if (gotBy.has(task.id)) returnedTwice.push(task.id);
        gotBy.set(task.id, reviewer.id);
        if (!reviewer.queues.includes(task.queue)) outsideQueues.push(task.id);
        // The verdict, as far as the queue is concerned: the task is done and the reviewer free.
        await sql`UPDATE review_tasks SET status = 'done', completed_at = now() WHERE id = ${task.id}`.execute(t.db);
      }
    }),
  );
  expect(returnedTwice).toEqual([]);
  expect(outsideQueues).toEqual([]);
  expect(gotBy.size).toBe(TASKS);

  const rows = await t.db.selectFrom('review_tasks').select(['id', 'status', 'assignee_id']).execute();
  expect(rows.length).toBe(TASKS);
  expect(rows.filter((r) => r.status !== 'done' || r.assignee_id !== gotBy.get(r.id))).toEqual([]);

  const claims = await sql<{ events: number; tasks: number; wrong: number }>`
    SELECT count(*)::int AS events, count(DISTINCT a.data->>'taskId')::int AS tasks,
           count(*) FILTER (WHERE a.actor_id IS DISTINCT FROM t.assignee_id::text)::int AS wrong
      FROM audit_events a JOIN review_tasks t ON t.id = (a.data->>'taskId')::uuid
     WHERE a.action = 'task.claimed'`.execute(t.db);
  expect(claims.rows[0]).toEqual({ events: TASKS, tasks: TASKS, wrong: 0 });
});
