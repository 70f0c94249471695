// Migration 0018: every state run carries its item's workflow, which time per state groups and
// filters by instead of joining each run to its item. The engine's writer names it; a trigger fills
// it for other writers; with neither, the insert is refused.

import { defineWorkflow } from '@signoff/core';
import { stateTimes } from '@signoff/insights';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

// A task, a timer wait, a choice and a final: runs of each kind as the engine's writer inserts them
// in a batch (the wait's run, too, which it closes later). Decisions get theirs by migration 0017.
const triage = defineWorkflow({
  name: 'runs-triage',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: { kind: 'task', run: (ctx) => ({ length: ctx.input.text.length }), next: 'pause' },
    pause: { kind: 'wait', durationMs: 10, next: 'route' },
    route: { kind: 'choice', branches: [], otherwise: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});
const other = defineWorkflow({
  name: 'runs-other',
  input: z.object({ n: z.number() }),
  start: 'route',
  states: {
    route: { kind: 'choice', branches: [{ when: (ctx) => ctx.input.n > 1, next: 'big' }], otherwise: 'small' },
    big: { kind: 'final', status: 'succeeded' },
    small: { kind: 'final', status: 'rejected' },
  },
});

let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [triage, other]);
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

it("the engine's writer names each state run's workflow, for every kind of run", async () => {
  // Without the trigger, so a run the writer left without its workflow would fail the item.
  await sql`ALTER TABLE state_runs DISABLE TRIGGER state_runs_workflow_name`.execute(t.db);
  const [a, b] = await (async () => {
    try {
      const ids = [
        await e.submit('runs-triage', { text: 'I was charged twice' }),
        await e.submit('runs-other', { n: 2 }),
      ];
      for (const id of ids) await e.settle(id);
      return ids;
    } finally {
      await sql`ALTER TABLE state_runs ENABLE TRIGGER state_runs_workflow_name`.execute(t.db);
    }
  })();

  const runs = await sql<{ item_id: string; state: string; workflow_name: string }>`
    SELECT item_id, state, workflow_name FROM state_runs ORDER BY item_id, state`.execute(t.db);
  expect(
    runs.rows.map((r) => `${r.item_id === a ? 'a' : r.item_id === b ? 'b' : '?'} ${r.state} ${r.workflow_name}`).sort(),
  ).toEqual([
    'a classify runs-triage',
    'a done runs-triage',
    'a pause runs-triage',
    'a route runs-triage',
    'b big runs-other',
    'b route runs-other',
  ]);

  // Time per state groups by that copy: each workflow's states, and nothing of the other.
  const window = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) };
  const { states } = await stateTimes(t.db, { ...window, workflow: 'runs-other' });
  expect(states.map((s) => [s.workflow, s.state, s.runs])).toEqual([
    ['runs-other', 'big', 1],
    ['runs-other', 'route', 1],
  ]);
  const all = await stateTimes(t.db, window);
  expect(all.states.map((s) => `${s.workflow} ${s.state}`)).toEqual([
    'runs-other big',
    'runs-other route',
    'runs-triage classify',
    'runs-triage done',
    'runs-triage pause',
    'runs-triage route',
  ]);
});

it("the trigger fills the item's workflow for an insert naming none; bypassing it, the insert is refused", async () => {
  const item = (await sql<{ id: string }>`SELECT id FROM items WHERE workflow_name = 'runs-other'`.execute(t.db))
    .rows[0]?.id;
  const insert = sql<{ workflow_name: string }>`
    INSERT INTO state_runs (item_id, state, visit, kind, status, started_at)
    VALUES (${item}, 'manual', 1, 'task', 'done', now()) RETURNING workflow_name`;
  expect((await insert.execute(t.db)).rows).toEqual([{ workflow_name: 'runs-other' }]);
  await sql`DELETE FROM state_runs WHERE state = 'manual'`.execute(t.db);

  await expect(
    t.db.connection().execute(async (c) => {
      await sql`SET session_replication_role = replica`.execute(c);
      try {
        await insert.execute(c);
      } finally {
        await sql`SET session_replication_role = DEFAULT`.execute(c);
      }
    }),
  ).rejects.toThrow(/workflow_name/);
});
