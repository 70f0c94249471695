// Batch ingestion on POST /api/v1/items against real PostgreSQL: per-item results, invalid items
// create nothing, one idempotency key makes one item however many requests race for it, and the
// limits answer with a clear message.
import { defineWorkflow } from '@signoff/core';
import { DEMO_API_KEY } from '@signoff/server';
import { generateSupportItems, supportTriage } from '@signoff/server/demo';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

interface BatchBody {
  results: {
    index: number;
    status: string;
    id?: string;
    workflow?: string;
    version?: number;
    error?: { code: string; message: string; issues?: { path: string }[] };
  }[];
  summary: { created: number; existing: number; invalid: number; errors: number };
}

// Stands for a rule whose answer can change between the batch's check and the insert (a lookup, a
// clock): the second time it sees a `late-` reference, it refuses it.
const seenLate = new Set<string>();
const lateRefusal = defineWorkflow({
  name: 'ingest-late-refusal',
  input: z.object({ ref: z.string() }).refine((v) => {
    if (!v.ref.startsWith('late-')) return true;
    if (seenLate.has(v.ref)) return false;
    seenLate.add(v.ref);
    return true;
  }, 'refused on a second look'),
  start: 'done',
  states: { done: { kind: 'final', status: 'succeeded' } },
});

let s: TestSignoff;
beforeAll(async () => {
  // No workers: these tests are about what ingestion writes, not what happens next.
  s = await startTestSignoff({ demoItems: 0, workers: false, workflows: [supportTriage, lateRefusal] });
});
afterAll(() => s?.close());

function post(body: unknown, init: { key?: string | null; raw?: boolean } = {}) {
  const key = init.key === undefined ? DEMO_API_KEY : init.key;
  return fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
    body: init.raw ? (body as string) : JSON.stringify(body),
  });
}

async function postBatch(items: unknown[]): Promise<BatchBody> {
  const r = await post({ items });
  expect(r.status).toBe(200);
  return (await r.json()) as BatchBody;
}

const itemsWithKeyPrefix = (prefix: string) =>
  s.db.selectFrom('items').select(['id', 'idempotency_key']).where('idempotency_key', 'like', `${prefix}%`).execute();

const countItems = async () =>
  Number(
    (
      await s.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

const tickets = (count: number, seed: number, keyPrefix: string) =>
  generateSupportItems(count, seed).map((t, n) => ({
    workflow: 'support-triage',
    input: t.input,
    idempotencyKey: `${keyPrefix}-${n}`,
  }));

describe('a batch', () => {
  it('submits each item on its own: valid ones are created, invalid ones are reported and create nothing', async () => {
    const [a, b, c] = tickets(3, 101, 'mixed') as [
      ReturnType<typeof tickets>[number],
      ReturnType<typeof tickets>[number],
      ReturnType<typeof tickets>[number],
    ];
    const before = await countItems();
    const badEmail = {
      ...b,
      idempotencyKey: 'mixed-bad-email',
      input: { ...(b.input as object), customer: { ...b.input.customer, email: 'not-an-email' } },
    };
    const body = await postBatch([
      a,
      badEmail,
      { input: c.input, idempotencyKey: 'mixed-no-workflow' },
      { workflow: 'no-such-workflow', input: c.input, idempotencyKey: 'mixed-unknown-workflow' },
      42,
      { workflow: 'support-triage', input: c.input },
      a,
    ]);

    expect(body.results.map((r) => [r.index, r.status])).toEqual([
      [0, 'created'],
      [1, 'invalid'],
      [2, 'invalid'],
      [3, 'invalid'],
      [4, 'invalid'],
      [5, 'created'],
      [6, 'existing'],
    ]);
    expect(body.summary).toEqual({ created: 2, existing: 1, invalid: 4, errors: 0 });
    const [created, bad, noWorkflow, unknown, notObject, keyless, repeat] = body.results;
    expect(created).toMatchObject({ workflow: 'support-triage', version: expect.any(Number), id: expect.any(String) });
    expect(repeat?.id).toBe(created?.id);
    expect(bad?.error?.code).toBe('BAD_INPUT');
    expect(bad?.error?.issues?.map((i) => i.path)).toContain('input.customer.email');
    expect(bad?.id).toBeUndefined();
    expect(noWorkflow?.error?.issues?.map((i) => i.path)).toContain('workflow');
    expect(unknown?.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no-such-workflow') });
    expect(notObject?.error?.code).toBe('BAD_INPUT');
    expect(keyless?.id).toEqual(expect.any(String));

    expect(await countItems()).toBe(before + 2);
    const stored = await itemsWithKeyPrefix('mixed');
    expect(stored.map((i) => i.idempotency_key)).toEqual(['mixed-0']);
    const audit = await s.db
      .selectFrom('audit_events')
      .select('action')
      .where('stream', '=', created?.id as string)
      .execute();
    expect(audit.map((e) => e.action)).toEqual(['item.submitted']);
  });

  it('re-sent whole, creates nothing new and names the same items', async () => {
    const batch = tickets(40, 102, 'resend');
    const first = await postBatch(batch);
    expect(first.summary).toEqual({ created: 40, existing: 0, invalid: 0, errors: 0 });
    const second = await postBatch(batch);
    expect(second.summary).toEqual({ created: 0, existing: 40, invalid: 0, errors: 0 });
    expect(second.results.map((r) => r.id)).toEqual(first.results.map((r) => r.id));
    expect(await itemsWithKeyPrefix('resend-')).toHaveLength(40);
  });

  it("asks each item's schema once: a rule that would refuse on a second look cannot turn a created item invalid", async () => {
    const body = await postBatch(
      ['ok-1', 'late-1', 'ok-2'].map((ref) => ({
        workflow: 'ingest-late-refusal',
        input: { ref },
        idempotencyKey: ref,
      })),
    );
    expect(body.results.map((r) => r.status)).toEqual(['created', 'created', 'created']);
    const stored = await s.db
      .selectFrom('items')
      .select('idempotency_key')
      .where('workflow_name', '=', 'ingest-late-refusal')
      .orderBy('idempotency_key')
      .execute();
    expect(stored.map((i) => i.idempotency_key)).toEqual(['late-1', 'ok-1', 'ok-2']);
  });

  it('when the database refuses one item of the shared transaction, commits the others one by one', async () => {
    // A row-level refusal the schema cannot see (as a constraint or a trigger of the operator's would be).
    await sql`CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.input->>'ref' = 'doomed' THEN RAISE EXCEPTION 'doomed item refused'; END IF;
        RETURN NEW;
      END $$`.execute(s.testDb.db); // DDL as the owner: the server works as signoff_app, which may not
    await sql`CREATE TRIGGER refuse_doomed BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse_doomed()`.execute(
      s.testDb.db,
    );
    try {
      const body = await postBatch(
        ['fine-1', 'doomed', 'fine-2'].map((ref) => ({
          workflow: 'ingest-late-refusal',
          input: { ref },
          idempotencyKey: ref,
        })),
      );
      expect(body.results.map((r) => r.status)).toEqual(['created', 'error', 'created']);
      expect(body.summary).toEqual({ created: 2, existing: 0, invalid: 0, errors: 1 });
      const stored = await s.db
        .selectFrom('items')
        .select('idempotency_key')
        .where('idempotency_key', 'in', ['fine-1', 'doomed', 'fine-2'])
        .orderBy('idempotency_key')
        .execute();
      expect(stored.map((i) => i.idempotency_key)).toEqual(['fine-1', 'fine-2']);
      // Each created item has its first audit event and its first job, the refused one neither.
      const events = await s.db
        .selectFrom('audit_events')
        .select('action')
        .where(
          'stream',
          'in',
          body.results.flatMap((r) => (r.id ? [r.id] : [])),
        )
        .execute();
      expect(events.map((e) => e.action)).toEqual(['item.submitted', 'item.submitted']);
    } finally {
      await sql`DROP TRIGGER refuse_doomed ON items`.execute(s.testDb.db);
    }
  });

  it('leaves the single-item API as it was', async () => {
    const [one] = tickets(1, 103, 'single');
    const first = await post(one);
    expect(first.status).toBe(201);
    const again = await post(one);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    const bad = await post({ ...one, input: { ...(one?.input as object), channel: 'pigeon' } });
    expect(bad.status).toBe(400);
  });
});

describe('one idempotency key under concurrency', () => {
  it('20 concurrent requests with the same key create exactly one item, and all name it', async () => {
    const [ticket] = tickets(1, 104, 'race-single');
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(ticket)));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { id: string; created: boolean }[];
    expect(responses.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
    const stored = await itemsWithKeyPrefix('race-single-');
    expect(stored).toHaveLength(1);
    for (const b of bodies) expect(b.id).toBe(stored[0]?.id);
    expect(bodies.filter((b) => b.created)).toHaveLength(1);
  });

  it('two concurrent batches sharing keys (in opposite orders) create each item once', async () => {
    const batch = tickets(100, 105, 'race-batch');
    const [a, b] = await Promise.all([postBatch(batch), postBatch([...batch].reverse())]);
    expect(a.summary.created + b.summary.created).toBe(100);
    expect(a.summary.existing + b.summary.existing).toBe(100);
    expect(a.summary.invalid + a.summary.errors + b.summary.invalid + b.summary.errors).toBe(0);
    const stored = new Map((await itemsWithKeyPrefix('race-batch-')).map((i) => [i.idempotency_key, i.id]));
    expect(stored.size).toBe(100);
    batch.forEach((item, n) => {
      const id = stored.get(item.idempotencyKey);
      expect(a.results[n]?.id).toBe(id);
      expect(b.results[99 - n]?.id).toBe(id);
    });
  });

  it('the same key in 20 concurrent single requests and 2 batches still makes one item', async () => {
    const [ticket] = tickets(1, 106, 'race-mixed');
    const responses = await Promise.all([
      ...Array.from({ length: 20 }, () => post(ticket)),
      post({ items: [ticket, ticket] }),
      post({ items: [ticket] }),
    ]);
    const stored = await itemsWithKeyPrefix('race-mixed-');
    expect(stored).toHaveLength(1);
    const id = stored[0]?.id;
    for (const r of responses.slice(0, 20)) expect(((await r.json()) as { id: string }).id).toBe(id);
    for (const r of responses.slice(20)) {
      const body = (await r.json()) as BatchBody;
      for (const result of body.results) expect(result.id).toBe(id);
    }
  });
});

describe('limits', () => {
  it('refuses 1001 items with 400 and says how many are allowed; creates nothing', async () => {
    const before = await countItems();
    const r = await post({ items: tickets(1001, 107, 'too-many') });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BAD_INPUT');
    expect(body.error.message).toMatch(/at most 1000 items; this one has 1001/);
    expect(await countItems()).toBe(before);
  });

  it('accepts exactly 1000 items', async () => {
    const body = await postBatch(tickets(1000, 108, 'thousand'));
    expect(body.summary).toEqual({ created: 1000, existing: 0, invalid: 0, errors: 0 });
    expect(body.results).toHaveLength(1000);
  });

  it('refuses an empty batch, a batch that is not an array, and a batch with other fields', async () => {
    for (const body of [{ items: [] }, { items: { a: 1 } }, { items: tickets(1, 109, 'extra'), workflow: 'x' }]) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BAD_INPUT');
    }
  });

  it('answers a body that is not JSON with 400', async () => {
    const r = await post('{"items": [', { raw: true });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BAD_INPUT');
    expect(body.error.message).toMatch(/JSON/);
  });

  it('allows 10 MB for a batch but 1 MB for a single item', async () => {
    const big = 'x'.repeat(1_200_000);
    const single = await post({ workflow: 'support-triage', input: { body: big } });
    expect(single.status).toBe(413);
    expect(((await single.json()) as { error: { message: string } }).error.message).toMatch(/single item/);
    // Over 1 MB but under 10 MB as a batch: accepted, and the oversized input is judged per item.
    const batch = await postBatch([{ workflow: 'support-triage', input: { body: big } }]);
    expect(batch.results[0]?.status).toBe('invalid');
    const huge = await post({ items: [{ workflow: 'support-triage', input: { body: 'x'.repeat(11 * 1024 * 1024) } }] });
    expect(huge.status).toBe(413);
  });

  it('still requires an API key', async () => {
    const r = await post({ items: tickets(1, 110, 'nokey') }, { key: null });
    expect(r.status).toBe(401);
    const wrong = await post({ items: tickets(1, 110, 'nokey') }, { key: 'sk_wrong' });
    expect(wrong.status).toBe(401);
    expect(await itemsWithKeyPrefix('nokey-')).toHaveLength(0);
  });
});
