// Retention (issue 12, point 6): items finished longer ago than their workflow's period lose their
// payloads (input, context, state outputs, decision texts, event payloads, reviewers' reasons,
// dataset lines) and keep ids, labels, confidences and timings; running items and items with an
// open task are never touched; every item's chain still verifies (events keep digests); the purge
// is audited; a second purge and a dry run change nothing. Expected values are written from the
// requirement, with `now` fixed so the cut-off is exact.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createLocalProvider } from '@signoff/ai';
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { defineWorkflow } from '@signoff/core';
import { createSnapshot, getSnapshot, writeSnapshot } from '@signoff/datasets';
import {
  deliverEvent,
  getItemTimeline,
  RETENTION_QUEUE,
  STEP_QUEUE,
  startWorkers,
  submitVerdict,
} from '@signoff/engine';
import {
  appendAudit,
  auditSignerFromPem,
  createCheckpoint,
  exportAuditBundle,
  purgeExpired,
  retentionStatus,
  type SessionUser,
  SYSTEM,
  upsertUser,
  verifyAuditStream,
  verifyBundle,
} from '@signoff/governance';
import type { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { collector } from '../support/collect';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { holdTask, seedIntentExamples } from '../support/review-points';
import { waitFor } from '../support/signoff';

const claims = defineWorkflow({
  name: 'ret-claims',
  input: z.object({ email: z.string(), note: z.string(), ref: z.string() }),
  start: 'triage',
  retention: { days: 30, mode: 'delete' },
  states: {
    triage: {
      kind: 'decide',
      agent: { name: 'ret-intent', instructions: 'Refund request, fraud, or other?' },
      labels: ['refund', 'other', 'fraud'],
      text: (ctx) => ctx.input.note,
      // Uncertified: nothing is auto-accepted, every decision goes to a person.
      policy: { autoAccept: { maxError: 0.05, confidence: 0.95 }, queue: 'ret-claims' },
      next: 'lookup',
    },
    lookup: { kind: 'task', run: (ctx) => ({ customer: ctx.input.email, visits: 3 }), next: 'confirm' },
    confirm: { kind: 'wait', event: { name: 'ret.confirmed', key: (ctx) => ctx.input.ref }, next: 'done' },
    done: { kind: 'final', status: 'succeeded', output: (ctx) => ({ contact: ctx.input.email }) },
  },
});

const forever = defineWorkflow({
  name: 'ret-forever',
  input: z.object({ email: z.string(), age: z.number() }),
  start: 'note',
  states: {
    note: { kind: 'task', run: (ctx) => ({ who: ctx.input.email, age: ctx.input.age, vip: true }), next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const DAY = 86_400_000;
const signer = auditSignerFromPem(
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
);
const REASON = 'Customer alice@example.com asked twice';

let t: TestDatabase;
let e: TestEngine;
let reviewer: SessionUser;
let admin: SessionUser;
let compliance: SessionUser;
let now: Date;
const items: Record<'old' | 'young' | 'edge' | 'running' | 'held' | 'other', string> = {
  old: '',
  young: '',
  edge: '',
  running: '',
  held: '',
  other: '',
};

/** An item of `ret-claims` taken through a review (a correction with a reason) and an event, to its end. */
async function finishedClaim(n: number): Promise<string> {
  const email = `person${n}@example.com`;
  const id = await e.submit('ret-claims', { email, note: `refund for ${email} please`, ref: `ref-${n}` });
  await e.settle(id, ['waiting']);
  const task = await t.db.selectFrom('review_tasks').selectAll().where('item_id', '=', id).executeTakeFirstOrThrow();
  await holdTask(t, e, task.id, reviewer.id);
  await t.db
    .transaction()
    .execute((trx) =>
      submitVerdict(trx, e, reviewer.id, { taskId: task.id, verdict: 'correct', label: 'fraud', reason: REASON }),
    );
  await e.settle(id, ['waiting']);
  await t.db
    .transaction()
    .execute((trx) =>
      deliverEvent(trx, e, { name: 'ret.confirmed', key: `ref-${n}`, payload: { by: email, amount: 40 } }, SYSTEM),
    );
  await e.settle(id);
  return id;
}

const finishAt = (id: string, at: Date) => sql`UPDATE items SET finished_at = ${at} WHERE id = ${id}`.execute(t.db);

async function rowsOf(id: string) {
  const [item, runs, decision, review, label, event] = await Promise.all([
    t.db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    t.db.selectFrom('state_runs').select(['state', 'output']).where('item_id', '=', id).orderBy('state').execute(),
    t.db.selectFrom('decisions').selectAll().where('item_id', '=', id).executeTakeFirst(),
    t.db
      .selectFrom('reviews as r')
      .innerJoin('review_tasks as k', 'k.id', 'r.task_id')
      .select(['r.reason', 'r.label', 'r.verdict'])
      .where('k.item_id', '=', id)
      .executeTakeFirst(),
    t.db.selectFrom('labels').selectAll().where('item_id', '=', id).executeTakeFirst(),
    t.db
      .selectFrom('event_waits as w')
      .innerJoin('events as v', 'v.id', 'w.event_id')
      .select(['v.payload', 'v.name', 'v.key'])
      .where('w.item_id', '=', id)
      .executeTakeFirst(),
  ]);
  return { item, runs: Object.fromEntries(runs.map((r) => [r.state, r.output])), decision, review, label, event };
}

const auditCount = async () =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_events`.execute(t.db)).rows[0]?.n);

function caller(user: SessionUser | null) {
  const ctx: Context = {
    db: t.db,
    boss: e.boss,
    registry: e.registry,
    retentionDefault: null,
    user,
    token: null,
  };
  return createCallerFactory(appRouter)(ctx);
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedIntentExamples(t.db, 'ret-intent');
  e = await startTestEngine(t, [claims, forever]);
  reviewer = await upsertUser(t.db, { email: 'rev@ret.test', name: 'Rae Reviewer', role: 'reviewer', password: 'x' });
  admin = await upsertUser(t.db, { email: 'admin@ret.test', name: 'Ada Admin', role: 'admin', password: 'x' });
  compliance = await upsertUser(t.db, {
    email: 'co@ret.test',
    name: 'Cy Compliance',
    role: 'compliance',
    password: 'x',
  });
  const [old, young, edge, held] = await Promise.all([1, 2, 3, 4].map(finishedClaim));
  Object.assign(items, { old, young, edge, held });
  items.running = await e.submit('ret-claims', { email: 'run@example.com', note: 'refund me', ref: 'ref-run' });
  await e.settle(items.running, ['waiting']);
  items.other = await e.submit('ret-forever', { email: 'old@example.com', age: 71 });
  await e.settle(items.other);
  now = new Date(Date.now() + 1000);
  await finishAt(items.old, new Date(now.getTime() - 31 * DAY));
  await finishAt(items.young, new Date(now.getTime() - 29 * DAY));
  // Exactly the period: kept (an item is purged once it is strictly past it).
  await finishAt(items.edge, new Date(now.getTime() - 30 * DAY));
  // A waiting item never finished; a row that says otherwise must still not make it purgeable.
  await finishAt(items.running, new Date(now.getTime() - 90 * DAY));
  // Finished long ago, but a QA sample on it is still open.
  await finishAt(items.held, new Date(now.getTime() - 60 * DAY));
  await sql`INSERT INTO review_tasks (item_id, state, visit, queue, status, labels, instructions, kind)
            VALUES (${items.held}, 'triage', 1, 'ret-claims', 'pending', '["refund","other","fraud"]', 'QA', 'qa')`.execute(
    t.db,
  );
  await finishAt(items.other, new Date(now.getTime() - 400 * DAY));
}, 120_000);
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

describe('retention purge', () => {
  let before: Awaited<ReturnType<typeof rowsOf>>;
  let snapshotId: string;

  it('registers the workflow retention, outside the version hash, audited on the config stream', async () => {
    expect(await t.db.selectFrom('retention_policies').select(['workflow_name', 'days', 'mode']).execute()).toEqual([
      { workflow_name: 'ret-claims', days: 30, mode: 'delete' },
    ]);
    const declared = await t.db
      .selectFrom('audit_events')
      .select('data')
      .where('stream', '=', 'config')
      .where('action', '=', 'retention.declared')
      .execute();
    expect(declared.map((d) => d.data)).toEqual([
      { workflow: 'ret-claims', old: null, new: { days: 30, mode: 'delete' } },
    ]);
  });

  it('a dry run counts the one item past its period and changes nothing', async () => {
    // A signed checkpoint of every chain as it stands before any purge.
    expect(await createCheckpoint(t.db, signer)).not.toBeNull();
    before = await rowsOf(items.old);
    const events = await auditCount();
    const r = await purgeExpired(t.db, { fallback: null, dryRun: true, now });
    expect(r.workflows.map((w) => [w.workflow, w.items])).toEqual([['ret-claims', 1]]);
    expect(r.skipped).toEqual(['ret-forever']);
    expect(await rowsOf(items.old)).toEqual(before);
    expect(await auditCount()).toBe(events);
  });

  it('status shows the period, the cut-off, what is due and what an open task holds', async () => {
    const [status] = await retentionStatus(t.db, null, { workflow: 'ret-claims', now });
    expect(status).toMatchObject({
      workflow: 'ret-claims',
      retention: { days: 30, mode: 'delete' },
      source: 'workflow',
      cutoff: new Date(now.getTime() - 30 * DAY),
      due: 1,
      heldByOpenTasks: 1,
      purged: 0,
      lastPurge: null,
    });
  });

  it('purges the item finished 31 days ago: payloads cleared, ids, labels, confidences and timings kept', async () => {
    const snap = await t.db
      .transaction()
      .execute((trx) => createSnapshot(trx, { name: 'ret-labels', filters: { workflow: 'ret-claims' } }, SYSTEM));
    snapshotId = snap.id;
    expect(snap.rowCount).toBe(4);
    const r = await purgeExpired(t.db, { fallback: null, now, actor: { type: 'user', id: admin.id }, trigger: 'cli' });
    expect(r.workflows.map((w) => [w.workflow, w.items, w.batches])).toEqual([['ret-claims', 1, 1]]);

    const after = await rowsOf(items.old);
    expect(after.item).toEqual({
      ...before.item,
      input: null,
      context: {},
      purged_at: now,
      audit_seq: before.item.audit_seq + 1,
      audit_hash: after.item.audit_hash,
    });
    expect(after.runs).toEqual({
      // A decision's state keeps the label, the confidence and who decided; the reviewer's rationale goes.
      triage: {
        label: 'fraud',
        confidence: (before.runs.triage as { confidence: number }).confidence,
        decidedBy: 'human',
      },
      lookup: null,
      confirm: null,
      done: null,
    });
    expect(before.decision?.input_text).toContain('person1@example.com');
    expect(after.decision).toEqual({
      ...before.decision,
      input_text: '',
      output: { label: before.decision?.label },
    });
    expect(after.review).toEqual({ reason: null, label: 'fraud', verdict: 'correct' });
    expect(after.label).toEqual({ ...before.label, input_text: null, reason: null });
    expect(before.event?.payload).toEqual({ by: 'person1@example.com', amount: 40 });
    expect(after.event).toEqual({ name: 'ret.confirmed', key: 'ref-1', payload: null });
  });

  it('keeps the items finished 29 days ago and exactly 30 days ago, the running one and the held one', async () => {
    for (const id of [items.young, items.edge, items.running, items.held]) {
      const row = await t.db
        .selectFrom('items')
        .select(['purged_at', 'input'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.purged_at).toBeNull();
      expect(JSON.stringify(row.input)).toContain('@example.com');
    }
    const other = await t.db
      .selectFrom('items')
      .select(['purged_at'])
      .where('id', '=', items.other)
      .executeTakeFirstOrThrow();
    expect(other.purged_at).toBeNull();
  });

  it('every chain still verifies, and the timeline says which payloads were purged', async () => {
    for (const id of Object.values(items)) expect((await verifyAuditStream(t.db, id)).ok).toBe(true);
    // Offline too: the purged item's chain (grown by item.purged) still matches the checkpoint signed before.
    const bundle = await exportAuditBundle(t.db, signer, { items: [items.old, items.young] });
    const v = verifyBundle(JSON.stringify(bundle), signer.publicKeyPem);
    expect(v).toMatchObject({ status: 'verified', problems: [] });
    const timeline = await getItemTimeline(t.db, items.old);
    // The events of the trail carried digests all along; none quotes the data.
    expect(JSON.stringify(timeline.map((x) => x.data))).not.toContain('@example.com');
    const submitted = timeline.find((x) => x.action === 'review.submitted');
    expect(submitted?.payloads).toEqual([{ field: 'reasonHash', value: null, status: 'purged' }]);
    const young = await getItemTimeline(t.db, items.young);
    expect(young.find((x) => x.action === 'review.submitted')?.payloads).toEqual([
      { field: 'reasonHash', value: REASON, status: 'matches' },
    ]);
    expect(young.find((x) => x.action === 'event.received')?.payloads).toEqual([
      { field: 'payloadHash', value: { by: 'person2@example.com', amount: 40 }, status: 'matches' },
    ]);
  });

  it('is audited: retention.purged on the config stream, item.purged on the item', async () => {
    const purged = await t.db
      .selectFrom('audit_events')
      .select(['data', 'actor_type', 'actor_id'])
      .where('stream', '=', 'config')
      .where('action', '=', 'retention.purged')
      .execute();
    expect(purged).toEqual([
      {
        actor_type: 'user',
        actor_id: admin.id,
        data: {
          workflow: 'ret-claims',
          items: 1,
          totalSoFar: 1,
          batch: 1,
          cutoff: new Date(now.getTime() - 30 * DAY).toISOString(),
          days: 30,
          mode: 'delete',
          trigger: 'cli',
          firstItemId: items.old,
          lastItemId: items.old,
          itemsWithPayloadsInOldEvents: 0,
        },
      },
    ]);
    const last = await t.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('stream', '=', items.old)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(last).toEqual({
      action: 'item.purged',
      data: {
        workflow: 'ret-claims',
        days: 30,
        mode: 'delete',
        cutoff: new Date(now.getTime() - 30 * DAY).toISOString(),
        trigger: 'cli',
      },
    });
    expect((await verifyAuditStream(t.db, 'config')).ok).toBe(true);
  });

  it('clears the purged member of a dataset snapshot, says so, and snapshots stay immutable otherwise', async () => {
    const rows = await t.db
      .selectFrom('dataset_snapshot_rows as s')
      .innerJoin('labels as l', 'l.id', 's.label_id')
      .select(['l.item_id', 's.line', 's.purged_at'])
      .where('s.snapshot_id', '=', snapshotId)
      .execute();
    const byItem = new Map(rows.map((r) => [r.item_id, r]));
    expect(byItem.get(items.old)).toMatchObject({ line: null, purged_at: now });
    expect(byItem.get(items.young)?.line).toContain('person2@example.com');
    expect(byItem.get(items.young)?.purged_at).toBeNull();
    expect((await getSnapshot(t.db, snapshotId)).purged).toEqual({ members: 1, lastAt: now.toISOString() });
    const { sink, bytes } = collector();
    await writeSnapshot(t.db, snapshotId, { format: 'jsonl' }, sink);
    const jsonl = bytes().toString('utf8');
    const lines = jsonl
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.item_id === items.old)).toMatchObject({
      input_text: null,
      reason: null,
      human_label: 'fraud',
    });
    expect(jsonl).not.toContain('person1@example.com');
    // Outside a purge, the trigger still refuses any change.
    await expect(
      sql`UPDATE dataset_snapshot_rows SET line = NULL, purged_at = now() WHERE snapshot_id = ${snapshotId} AND purged_at IS NULL`.execute(
        t.db,
      ),
    ).rejects.toThrow(/immutable/);
    // Inside a purge's setting too, anything but clearing a line once is refused.
    await expect(
      t.db.transaction().execute(async (trx) => {
        await sql`SELECT set_config('signoff.retention_purge', 'on', true)`.execute(trx);
        await sql`UPDATE dataset_snapshot_rows SET split = 'test', line = NULL, purged_at = now()
                   WHERE snapshot_id = ${snapshotId} AND purged_at IS NULL`.execute(trx);
      }),
    ).rejects.toThrow(/immutable/);
    await expect(
      sql`DELETE FROM dataset_snapshot_rows WHERE snapshot_id = ${snapshotId}`.execute(t.db),
    ).rejects.toThrow(/immutable/);
  });

  it('a second purge is a no-op', async () => {
    const events = await auditCount();
    const old = await rowsOf(items.old);
    const r = await purgeExpired(t.db, { fallback: null, now });
    expect(r.workflows.map((w) => [w.workflow, w.items])).toEqual([['ret-claims', 0]]);
    expect(await auditCount()).toBe(events);
    expect(await rowsOf(items.old)).toEqual(old);
  });

  it('the server default applies to workflows without their own: anonymise keeps structure and numbers', async () => {
    // An event as the engine wrote them before 0029, quoting the output: append-only, out of reach.
    await t.db.transaction().execute((trx) =>
      appendAudit(trx, {
        itemId: items.other,
        actor: SYSTEM,
        action: 'state.completed',
        data: { state: 'note', output: { who: 'old@example.com' }, next: 'done', nextVisit: 1 },
      }),
    );
    const r = await purgeExpired(t.db, { fallback: { days: 365, mode: 'anonymise' }, workflow: 'ret-forever', now });
    expect(r.workflows.map((w) => [w.workflow, w.items])).toEqual([['ret-forever', 1]]);
    const row = await t.db
      .selectFrom('items')
      .select(['input', 'context'])
      .where('id', '=', items.other)
      .executeTakeFirstOrThrow();
    expect(row.input).toEqual({ email: '[anonymised]', age: 71 });
    expect(row.context).toEqual({ note: { who: '[anonymised]', age: 71, vip: true }, done: null });
    expect((await verifyAuditStream(t.db, items.other)).ok).toBe(true);
    const purged = await t.db
      .selectFrom('audit_events')
      .select('data')
      .where('stream', '=', 'config')
      .where('action', '=', 'retention.purged')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    // Said, not hidden: the old event still quotes the address, and the purge counts the item.
    expect(purged.data).toMatchObject({ workflow: 'ret-forever', mode: 'anonymise', itemsWithPayloadsInOldEvents: 1 });
  });
});

describe('retention API', () => {
  it('status for compliance; purge is an admin action', async () => {
    const status = await caller(compliance).retention.status({});
    expect(status.map((s) => [s.workflow, s.source, s.purged])).toEqual([
      ['ret-claims', 'workflow', 1],
      ['ret-forever', 'none', 1],
    ]);
    await expect(caller(compliance).retention.purge({ dryRun: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(reviewer).retention.status({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a purge by hand is a dry run unless asked otherwise', async () => {
    const events = await auditCount();
    const r = await caller(admin).retention.purge({});
    expect(r.dryRun).toBe(true);
    expect(await auditCount()).toBe(events);
  });

  it('bad input is refused naming the field, and changes nothing', async () => {
    const events = await auditCount();
    const bad = async (input: unknown) => {
      try {
        await caller(admin).retention.purge(input as never);
      } catch (err) {
        return err as TRPCError;
      }
      throw new Error('accepted');
    };
    const name = await bad({ workflow: 'Not A Name', dryRun: false });
    expect(name.code).toBe('BAD_REQUEST');
    expect(name.message).toContain('Expected a workflow name');
    expect((await bad({ dryRun: 'yes' })).message).toContain('dryRun must be true or false');
    expect((await bad({ dryRun: false, everything: true })).code).toBe('BAD_REQUEST');
    const unknown = await bad({ workflow: 'no-such-flow', dryRun: false });
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toBe('No workflow "no-such-flow" is registered');
    expect(await auditCount()).toBe(events);
  });
});

it('the digest in an event is SHA-256 of the payload canonical JSON (known answer)', async () => {
  const timeline = await getItemTimeline(t.db, items.young);
  const finished = timeline.find((x) => x.action === 'item.finished');
  // done's output is {"contact":"person2@example.com"}: hashed here by hand.
  const expected = createHash('sha256').update('{"contact":"person2@example.com"}').digest('hex');
  expect(finished?.data).toEqual({ state: 'done', status: 'succeeded', outputHash: expected });
});

describe('the scheduled purge', () => {
  it('workers schedule it (hourly by default) and a job of its queue purges, as the system', async () => {
    const stop = await startWorkers({
      db: t.db,
      boss: e.boss,
      registry: e.registry,
      provider: createLocalProvider(),
      escalation: false,
      retention: { fallback: { days: 365, mode: 'delete' }, schedule: '0 * * * *' },
    });
    try {
      const schedules = await e.boss.getSchedules();
      expect(schedules.filter((s) => s.name === RETENTION_QUEUE).map((s) => s.cron)).toEqual(['0 * * * *']);
      const id = await e.submit('ret-forever', { email: 'later@example.com', age: 50 });
      await e.settle(id);
      await finishAt(id, new Date(Date.now() - 366 * DAY));
      await e.boss.send(RETENTION_QUEUE, {});
      const purged = await waitFor(
        async () => {
          const row = await t.db
            .selectFrom('items')
            .select(['purged_at', 'input'])
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          return row.purged_at ? row : undefined;
        },
        { timeoutMs: 20_000, message: 'the scheduled purge reaches the item' },
      );
      expect(purged.input).toBeNull();
      const event = await t.db
        .selectFrom('audit_events')
        .select(['actor_type', 'data'])
        .where('stream', '=', 'config')
        .where('action', '=', 'retention.purged')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      expect(event).toMatchObject({
        actor_type: 'system',
        data: { workflow: 'ret-forever', trigger: 'schedule', items: 1 },
      });
    } finally {
      await e.boss.offWork(RETENTION_QUEUE);
      await e.boss.offWork(STEP_QUEUE, { id: stop });
      await e.boss.unschedule(RETENTION_QUEUE);
    }
  });
});
