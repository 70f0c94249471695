// The one transition path on real PostgreSQL: any number of transitions in one transaction with a
// fixed number of multi-row statements; a conflict falls back to one transaction per item, each
// atomic; hash chains stay whole; the named fault points fire on every entry point (a verdict, an
// event), not only on worker jobs.
import { createLocalProvider } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import type { DB } from '@signoff/db';
import {
  applyTransitions,
  claimNextTask,
  commitTransitions,
  deliverEvent,
  executeJobs,
  type FaultPoint,
  type ItemSnapshot,
  SNAPSHOT_COLUMNS,
  STEP_QUEUE,
  submitItems,
  submitVerdict,
} from '@signoff/engine';
import { type SessionUser, SYSTEM, upsertUser, verifyAuditStream } from '@signoff/governance';
import {
  type Kysely,
  type KyselyPlugin,
  type PluginTransformResultArgs,
  type QueryResult,
  sql,
  type UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { waitFor } from '../support/signoff';

/** Counts the statements sent through one Kysely instance (pg-boss's, through the transaction, included). */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: Parameters<KyselyPlugin['transformQuery']>[0]) {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count++;
    return args.result;
  }
}

const flow = defineWorkflow({
  name: 'path-flow',
  input: z.object({ n: z.number() }),
  start: 'work',
  states: {
    work: { kind: 'task', run: (ctx) => ({ doubled: ctx.input.n * 2 }), next: 'check' },
    check: { kind: 'choice', branches: [{ when: (ctx) => ctx.work.doubled > 10, next: 'approve' }], otherwise: 'done' },
    approve: { kind: 'review', queue: 'path-approvals', labels: ['yes', 'no'], instructions: 'Approve?', next: 'pay' },
    pay: {
      kind: 'wait',
      event: { name: 'paid', key: (ctx) => `n-${ctx.input.n}` },
      timeoutMs: 3_600_000,
      onTimeout: 'done',
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
let reviewer: SessionUser;
const deps = (db: Kysely<DB> = t.db, faults?: (p: FaultPoint) => void) => ({
  db,
  boss: e.boss,
  registry: e.registry,
  provider: createLocalProvider(),
  ...(faults ? { faults } : {}),
});
const crashAt = (point: FaultPoint) => (p: FaultPoint) => {
  if (p === point) throw new Error(`injected crash at ${point}`);
};

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [flow], { workers: false });
  reviewer = await upsertUser(t.db, { email: 'path@test', name: 'Pat Path', role: 'reviewer', password: 'x' });
  await joinQueues(t.db, reviewer.id, ['path-approvals']);
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

async function submit(ns: number[], db: Kysely<DB> = t.db) {
  const results = await db.transaction().execute((trx) =>
    submitItems(
      trx,
      e,
      ns.map((n) => ({ workflow: 'path-flow', input: { n } })),
      SYSTEM,
    ),
  );
  return results.map((r) => {
    if (!r.ok) throw new Error(r.error.message);
    return r.id;
  });
}

/** Runs the job of `state` (visit 1, first attempt) of an item, as a worker would. */
async function run(itemId: string, state: string) {
  const [r] = await executeJobs(deps(), [{ itemId, state, visit: 1, attempt: 1, kind: 'run' }]);
  expect(r).toEqual({ ok: true, result: 'committed' });
}

const jobsOf = (ids: string[]) =>
  ids.map((itemId) => ({ itemId, state: 'work', visit: 1, attempt: 1, kind: 'run' as const }));

describe('one writer', () => {
  it('writes 5 or 60 transitions with the same statements: one per table, not one per item', async () => {
    const counts: number[] = [];
    for (const size of [5, 60]) {
      const counter = new StatementCounter();
      const db = t.db.withPlugin(counter);
      const ids = await submit(
        Array.from({ length: size }, (_, i) => i % 3),
        db,
      );
      const results = await executeJobs(deps(db), jobsOf(ids));
      expect(results.every((r) => r.ok && r.result === 'committed')).toBe(true);
      counts.push(counter.count);
      const items = await t.db.selectFrom('items').select(['status']).where('id', 'in', ids).execute();
      expect(items.every((i) => i.status === 'succeeded')).toBe(true);
    }
    expect(counts[1]).toBe(counts[0]);
    // Submission: BEGIN, items, audit events, jobs, COMMIT. Jobs: read the items, then BEGIN, lock
    // the items, state runs, audit events, items, COMMIT (no next jobs: every item finished).
    expect(counts[0]).toBeLessThanOrEqual(14);
  });

  it('keeps every item chain whole and its head on the item row', async () => {
    const ids = await submit([1, 2, 7]);
    await executeJobs(deps(), jobsOf(ids));
    for (const id of ids) {
      const v = await verifyAuditStream(t.db, id);
      expect(v.ok).toBe(true);
      const last = await t.db
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .where('stream', '=', id)
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      const item = await t.db
        .selectFrom('items')
        .select(['audit_seq', 'audit_hash'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(item).toEqual({ audit_seq: last.seq, audit_hash: last.hash });
    }
  });

  it('on a conflict applies the transitions one by one: the one that lost is stale and wrote nothing, the others commit', async () => {
    const ids = await submit([1, 2, 3, 4]);
    const loser = ids[2] as string;
    // Another worker got to the third item's transition first (its state run exists already).
    await t.db
      .insertInto('state_runs')
      .values({
        item_id: loser,
        state: 'work',
        visit: 1,
        kind: 'task',
        status: 'done',
        output: 'null',
        started_at: new Date(),
      })
      .execute();
    const before = await t.db
      .selectFrom('items')
      .select(['audit_seq', 'status', 'current_state'])
      .where('id', '=', loser)
      .executeTakeFirstOrThrow();
    const results = await executeJobs(deps(), jobsOf(ids));
    expect(results.map((r) => (r.ok ? r.result : 'error'))).toEqual(['committed', 'committed', 'stale', 'committed']);
    expect(
      await t.db
        .selectFrom('items')
        .select(['audit_seq', 'status', 'current_state'])
        .where('id', '=', loser)
        .executeTakeFirstOrThrow(),
    ).toEqual(before);
    const others = await t.db
      .selectFrom('items')
      .select('status')
      .where('id', 'in', [ids[0], ids[1], ids[3]] as string[])
      .execute();
    expect(others.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('plans with the context read before the lock only while the audit head has not moved', async () => {
    const [id] = await submit([4]);
    const itemId = id as string;
    const row = (await t.db
      .selectFrom('items')
      .select(SNAPSHOT_COLUMNS)
      .where('id', '=', itemId)
      .executeTakeFirstOrThrow()) as ItemSnapshot;
    const [job] = jobsOf([itemId]);
    const outcome = {
      kind: 'state-result' as const,
      job: job as NonNullable<typeof job>,
      startedAt: new Date(),
      result: { kind: 'advance' as const, output: { doubled: 8 }, next: 'check' },
    };
    const advance = (earlier: ItemSnapshot) =>
      t.db
        .transaction()
        .execute((trx) => applyTransitions(trx, e, [{ itemId, outcome }], { known: new Map([[itemId, earlier]]) }));
    // A read from before another transition moved the head: its context must not be written back.
    const [r] = await advance({ ...row, audit_seq: row.audit_seq - 1, context: { fromAnOldRead: true } });
    expect(r).toMatchObject({ ok: true, result: 'committed' });
    const item = await t.db
      .selectFrom('items')
      .select(['current_state', 'context'])
      .where('id', '=', itemId)
      .executeTakeFirstOrThrow();
    expect(item.current_state).toBe('done');
    expect(item.context).toEqual({ work: { doubled: 8 }, check: { branch: 'otherwise', next: 'done' }, done: null });
  });

  it('a request for an unknown item is an error of its own and does not stop the others', async () => {
    const [id] = await submit([2]);
    const results = await commitTransitions(t.db, e, [
      {
        itemId: '00000000-0000-4000-8000-00000000dead',
        outcome: {
          kind: 'job-failed',
          job: jobsOf(['00000000-0000-4000-8000-00000000dead'])[0] as never,
          message: 'x',
        },
      },
      {
        itemId: id as string,
        outcome: { kind: 'job-failed', job: jobsOf([id as string])[0] as never, message: 'gave up' },
      },
    ]);
    expect(results[0]?.ok).toBe(false);
    expect(results[1]).toMatchObject({ ok: true, result: 'failed' });
  });
});

describe('fault points on every entry point', () => {
  async function atReview() {
    const [id] = await submit([9]);
    await executeJobs(deps(), jobsOf([id as string]));
    await run(id as string, 'approve');
    const item = await t.db
      .selectFrom('items')
      .select(['status', 'current_state'])
      .where('id', '=', id as string)
      .executeTakeFirstOrThrow();
    expect(item).toEqual({ status: 'waiting', current_state: 'approve' });
    return id as string;
  }
  const snapshot = async (id: string) => ({
    item: await t.db
      .selectFrom('items')
      .select(['status', 'current_state', 'audit_seq'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow(),
    tasks: await t.db.selectFrom('review_tasks').select(['status', 'assignee_id']).where('item_id', '=', id).execute(),
    reviews: (await t.db.selectFrom('reviews').select('id').execute()).length,
    labels: (await t.db.selectFrom('labels').select('id').where('item_id', '=', id).execute()).length,
    waits: await t.db.selectFrom('event_waits').select(['resolution']).where('item_id', '=', id).execute(),
    events: (await t.db.selectFrom('events').select('id').execute()).length,
    jobs: (await e.boss.findJobs(STEP_QUEUE, { data: { itemId: id } })).length,
  });

  it('a crash before COMMIT of a verdict leaves the task claimed and nothing recorded; the verdict then commits whole', async () => {
    const id = await atReview();
    const crashing = { ...e, faults: crashAt('before-commit') };
    const claimed = await t.db.transaction().execute((trx) => claimNextTask(trx, e, reviewer, 'path-approvals'));
    expect(claimed?.item_id).toBe(id);
    const before = await snapshot(id);
    const verdict = { taskId: claimed?.id as string, verdict: 'answer' as const, label: 'yes' };
    await expect(
      t.db.transaction().execute((trx) => submitVerdict(trx, crashing, reviewer.id, verdict)),
    ).rejects.toThrow(/injected/);
    expect(await snapshot(id)).toEqual(before);
    await t.db.transaction().execute((trx) => submitVerdict(trx, e, reviewer.id, verdict));
    const after = await snapshot(id);
    expect(after.item).toMatchObject({ status: 'running', current_state: 'pay' });
    expect(after.tasks).toEqual([{ status: 'done', assignee_id: reviewer.id }]);
    expect(after.labels).toBe(1);
    expect(after.reviews).toBe(before.reviews + 1);
  });

  it('a crash before COMMIT of an event delivery keeps the item waiting and the event unrecorded', async () => {
    const id = await atReview();
    const task = await t.db.transaction().execute((trx) => claimNextTask(trx, e, reviewer, 'path-approvals'));
    await t.db
      .transaction()
      .execute((trx) =>
        submitVerdict(trx, e, reviewer.id, { taskId: task?.id as string, verdict: 'answer', label: 'yes' }),
      );
    await run(id, 'pay');
    const before = await snapshot(id);
    expect(before.waits).toEqual([{ resolution: null }]);
    const event = { name: 'paid', key: 'n-9', dedupeKey: `pay-${id}` };
    const crashing = { ...e, faults: crashAt('before-commit') };
    await expect(t.db.transaction().execute((trx) => deliverEvent(trx, crashing, event, SYSTEM))).rejects.toThrow(
      /injected/,
    );
    expect(await snapshot(id)).toEqual(before);
    const r = await t.db.transaction().execute((trx) => deliverEvent(trx, e, event, SYSTEM));
    expect(r.resumed).toContain(id);
    expect((await snapshot(id)).item).toMatchObject({ status: 'succeeded', current_state: 'done' });
  });
});

describe('a wait that starts while its event arrives', () => {
  it('is not lost: the wait waits for the delivering transaction, then consumes its event as early', async () => {
    const [id] = await submit([77]);
    const itemId = id as string;
    await executeJobs(deps(), jobsOf([itemId]));
    await run(itemId, 'approve');
    const task = await t.db.transaction().execute((trx) => claimNextTask(trx, e, reviewer, 'path-approvals'));
    await t.db
      .transaction()
      .execute((trx) =>
        submitVerdict(trx, e, reviewer.id, { taskId: task?.id as string, verdict: 'answer', label: 'yes' }),
      );
    // The event arrives first, in a transaction held open: nobody waits yet, so it is kept.
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let delivered = false;
    const delivering = t.db.transaction().execute(async (trx) => {
      const r = await deliverEvent(trx, e, { name: 'paid', key: 'n-77', dedupeKey: 'held-77' }, SYSTEM);
      delivered = true;
      await gate;
      return r;
    });
    await waitFor(async () => delivered, { message: 'the event is delivered, not committed' });
    // The wait starts now. Had it not waited for the delivery's commit, it would see no event, open
    // a wait that the delivery (which saw no wait) never resumes, and the item would wait forever.
    let started = false;
    const starting = executeJobs(deps(), [{ itemId, state: 'pay', visit: 1, attempt: 1, kind: 'run' }]).then((r) => {
      started = true;
      return r;
    });
    await waitFor(
      async () =>
        started ||
        Number(
          (
            await sql<{
              n: number;
            }>`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`.execute(t.db)
          ).rows[0]?.n,
        ) > 0,
      { message: 'the wait has started or is waiting for the lock' },
    );
    expect(started).toBe(false);
    release();
    expect((await delivering).resumed).toEqual([]);
    expect(await starting).toEqual([{ ok: true, result: 'committed' }]);
    const item = await t.db
      .selectFrom('items')
      .select(['status', 'context'])
      .where('id', '=', itemId)
      .executeTakeFirstOrThrow();
    expect(item.status).toBe('succeeded');
    expect(item.context.pay).toMatchObject({ event: 'paid', key: 'n-77' });
    const kept = await t.db
      .selectFrom('events')
      .select('consumed_at')
      .where('dedupe_key', '=', 'held-77')
      .executeTakeFirstOrThrow();
    expect(kept.consumed_at).not.toBeNull();
  });
});
