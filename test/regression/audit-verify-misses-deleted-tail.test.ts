// Regression: audit verification recomputed a chain from its first event but never compared its end
// with the head stored on the item (`items.audit_seq`, `items.audit_hash`), so deleting an item's
// last events went unnoticed. Now a missing tail, a head that does not match, or an event past the
// head breaks the chain, for items and for the `config` / `security` streams (head in `audit_heads`),
// in `verifyAuditStream`, `audit.verifyItem` and `signoff audit verify`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appRouter, createCallerFactory } from '@signoff/api';
import type { DB, NewAuditEvent } from '@signoff/db';
import { WorkflowRegistry } from '@signoff/engine';
import { appendAudit, chainEvents, SYSTEM, upsertUser, verifyAuditStream } from '@signoff/governance';
import { type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const root = join(import.meta.dirname, '..', '..');
let t: TestDatabase;
let workflowVersionId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const v = await t.db
    .insertInto('workflow_versions')
    .values({ name: 'audit-tail', version: 1, hash: 'audit-tail-v1', definition: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  workflowVersionId = v.id;
});
afterAll(() => t.drop());

/** An item with `n` audit events appended through the chain. */
async function itemWithEvents(n: number): Promise<string> {
  const item = await t.db
    .insertInto('items')
    .values({ workflow_name: 'audit-tail', workflow_version_id: workflowVersionId, input: '{}', status: 'running' })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let i = 1; i <= n; i++)
    await t.db
      .transaction()
      .execute((trx) => appendAudit(trx, { itemId: item.id, actor: SYSTEM, action: 'test.step', data: { i } }));
  return item.id;
}

/** Runs SQL with the append-only trigger bypassed, as a superuser could. */
async function asTamperer(db: Kysely<DB>, statement: ReturnType<typeof sql>) {
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await statement.execute(trx);
  });
}

describe('an item stream', () => {
  it('is intact with its head when nothing was touched', async () => {
    const itemId = await itemWithEvents(3);
    const v = await verifyAuditStream(t.db, itemId);
    const item = await t.db.selectFrom('items').select('audit_hash').where('id', '=', itemId).executeTakeFirstOrThrow();
    expect(v).toEqual({ stream: itemId, ok: true, checked: 3, head: { seq: 3, hash: item.audit_hash } });
  });

  it('is broken when its last event is deleted', async () => {
    const itemId = await itemWithEvents(3);
    await asTamperer(t.db, sql`DELETE FROM audit_events WHERE stream = ${itemId} AND seq = 3`);
    const v = await verifyAuditStream(t.db, itemId);
    expect(v.ok).toBe(false);
    expect(v.checked).toBe(2);
    expect(v.broken).toEqual({
      seq: 3,
      reason: "the chain ends at event 2 but the head recorded in the item's row is event 3: the last event is missing",
    });
  });

  it('is broken when its last two events are deleted, through audit.verifyItem too', async () => {
    const itemId = await itemWithEvents(3);
    await asTamperer(t.db, sql`DELETE FROM audit_events WHERE stream = ${itemId} AND seq >= 2`);
    const admin = await upsertUser(t.db, { email: 'auditor@tail.test', name: 'A', role: 'compliance', password: 'x' });
    const caller = createCallerFactory(appRouter)({
      db: t.db,
      boss: {} as PgBoss,
      registry: new WorkflowRegistry(),
      user: admin,
      token: null,
    });
    const v = await caller.audit.verifyItem({ itemId });
    expect(v.ok).toBe(false);
    expect(v.broken).toEqual({
      seq: 2,
      reason: "the chain ends at event 1 but the head recorded in the item's row is event 3: events 2 to 3 are missing",
    });
  });

  it('is broken when the tail is deleted and replaced by a forged event with a valid-looking hash', async () => {
    const itemId = await itemWithEvents(2);
    const first = await t.db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('stream', '=', itemId)
      .where('seq', '=', 1)
      .executeTakeFirstOrThrow();
    await asTamperer(t.db, sql`DELETE FROM audit_events WHERE stream = ${itemId} AND seq = 2`);
    await insertBehindTheChain(itemId, first, 'test.forged');
    const v = await verifyAuditStream(t.db, itemId);
    expect(v.broken).toEqual({ seq: 2, reason: "event 2 does not hash to the head recorded in the item's row" });
  });

  it('is broken by an event appended past the head without moving it', async () => {
    const itemId = await itemWithEvents(1);
    const head = await t.db
      .selectFrom('items')
      .select(['audit_seq as seq', 'audit_hash as hash'])
      .where('id', '=', itemId)
      .executeTakeFirstOrThrow();
    await insertBehindTheChain(itemId, head, 'test.smuggled');
    const v = await verifyAuditStream(t.db, itemId);
    expect(v.broken).toEqual({
      seq: 2,
      reason: "event 2 is past the head recorded in the item's row (event 1): it was not appended through the chain",
    });
  });
});

/** Inserts a correctly chained event after `after` without moving the item's head, as a forger would. */
async function insertBehindTheChain(itemId: string, after: { seq: number; hash: string }, action: string) {
  const [row] = chainEvents(itemId, itemId, after, [{ actor: SYSTEM, action }]);
  await t.db
    .insertInto('audit_events')
    .values(row as NewAuditEvent)
    .execute();
}

async function signoff(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: t.url },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe('the config stream', () => {
  it('has its head in audit_heads; `signoff audit verify config` prints it, then exits 1 once the tail is gone', async () => {
    for (let i = 1; i <= 3; i++)
      await t.db
        .transaction()
        .execute((trx) => appendAudit(trx, { actor: SYSTEM, action: 'test.config', data: { i } }));
    const head = await t.db
      .selectFrom('audit_heads')
      .select(['seq', 'hash'])
      .where('stream', '=', 'config')
      .executeTakeFirstOrThrow();
    const last = await t.db
      .selectFrom('audit_events')
      .select('hash')
      .where('stream', '=', 'config')
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow();
    expect(head).toEqual({ seq: 3, hash: last.hash });

    const ok = await signoff(['audit', 'verify', 'config']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`config: 3 events, chain intact; head event 3 ${last.hash}`);

    await asTamperer(t.db, sql`DELETE FROM audit_events WHERE stream = 'config' AND seq = 3`);
    const broken = await signoff(['audit', 'verify', 'config']);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain(
      'config: chain broken at event 3: the chain ends at event 2 but the head recorded in audit_heads is event 3: the last event is missing',
    );
  });

  it('an unknown stream is an error, not an empty intact chain', async () => {
    await expect(verifyAuditStream(t.db, 'no-such-stream')).rejects.toThrow('No audit stream "no-such-stream"');
  });
});
