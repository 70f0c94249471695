// Issue 12, point 1: the application's database role (signoff_app, migration 0024) cannot UPDATE,
// DELETE or TRUNCATE audit rows, nor change the schema, but may append and read them; the server
// works as that role by default, and an item goes through its workflow under it.
import { generateKeyPairSync } from 'node:crypto';
import type { AppRouter } from '@signoff/api';
import { createDb, type DB } from '@signoff/db';
import { appendAudit, auditSignerFromPem, createCheckpoint, SYSTEM, verifyAuditStream } from '@signoff/governance';
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { createTRPCClient, httpLink } from '@trpc/client';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const PERMISSION_DENIED = '42501';

async function sqlState(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('as signoff_app', () => {
  let t: TestDatabase;
  let app: Kysely<DB>;
  let itemId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    app = createDb(t.url, { max: 2, role: 'signoff_app' });
    const v = await t.db
      .insertInto('workflow_versions')
      .values({ name: 'roles', version: 1, hash: 'roles-v1', definition: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const item = await app
      .insertInto('items')
      .values({ workflow_name: 'roles', workflow_version_id: v.id, input: '{}', status: 'running' })
      .returning('id')
      .executeTakeFirstOrThrow();
    itemId = item.id;
  });
  afterAll(async () => {
    await app.destroy();
    await t.drop();
  });

  it('works as that role', async () => {
    const r = await sql<{ u: string }>`SELECT current_user AS u`.execute(app);
    expect(r.rows[0]?.u).toBe('signoff_app');
  });

  it('appends and reads audit events, and makes checkpoints', async () => {
    for (const i of [1, 2])
      await app
        .transaction()
        .execute((trx) => appendAudit(trx, { itemId, actor: SYSTEM, action: 'test.step', data: { i } }));
    await app.transaction().execute((trx) => appendAudit(trx, { actor: SYSTEM, action: 'test.config', data: {} }));
    expect(await verifyAuditStream(app, itemId)).toMatchObject({ ok: true, checked: 2 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const signer = auditSignerFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(await createCheckpoint(app, signer)).toMatchObject({ seq: 1, leafCount: 2 });
  });

  it('cannot UPDATE, DELETE or TRUNCATE audit events', async () => {
    expect(await sqlState(sql`UPDATE audit_events SET data = '{}' WHERE stream = ${itemId}`.execute(app))).toBe(
      PERMISSION_DENIED,
    );
    expect(await sqlState(sql`DELETE FROM audit_events WHERE stream = ${itemId}`.execute(app))).toBe(PERMISSION_DENIED);
    expect(await sqlState(sql`TRUNCATE audit_events`.execute(app))).toBe(PERMISSION_DENIED);
    const n = await t.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(3);
  });

  it('cannot UPDATE, DELETE or TRUNCATE checkpoints, their leaves or the signing keys', async () => {
    const column = { audit_checkpoints: 'root', audit_checkpoint_leaves: 'hash', audit_signing_keys: 'public_key' };
    for (const [table, col] of Object.entries(column)) {
      const update = sql`UPDATE ${sql.table(table)} SET ${sql.ref(col)} = ${sql.ref(col)}`;
      expect(await sqlState(update.execute(app)), table).toBe(PERMISSION_DENIED);
      expect(await sqlState(sql`DELETE FROM ${sql.table(table)}`.execute(app)), table).toBe(PERMISSION_DENIED);
      expect(await sqlState(sql`TRUNCATE ${sql.table(table)}`.execute(app)), table).toBe(PERMISSION_DENIED);
    }
  });

  it('cannot switch the append-only trigger off or change the schema', async () => {
    expect(await sqlState(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`.execute(app))).toBe(
      PERMISSION_DENIED,
    );
    expect(await sqlState(sql`CREATE TABLE audit_shadow (x int)`.execute(app))).toBe(PERMISSION_DENIED);
    expect(await sqlState(sql`DROP TABLE audit_events`.execute(app))).toBe(PERMISSION_DENIED);
  });

  it('still updates the rest of what the application writes', async () => {
    await app.updateTable('items').set({ status: 'succeeded' }).where('id', '=', itemId).execute();
    await app.deleteFrom('login_throttles').execute();
  });
});

describe('the server', () => {
  let s: TestSignoff;
  beforeAll(async () => {
    s = await startTestSignoff({ demoItems: 0 });
  });
  afterAll(() => s?.close());

  it('works as signoff_app once migrated, its job queue too', async () => {
    expect(s.databaseRole).toBe('signoff_app');
    const r = await sql<{ u: string }>`SELECT current_user AS u`.execute(s.db);
    expect(r.rows[0]?.u).toBe('signoff_app');
    const boss = await s.boss.getDb().executeSql('SELECT current_user AS u');
    expect(boss.rows[0]?.u).toBe('signoff_app');
    expect(await sqlState(sql`DELETE FROM audit_events`.execute(s.db))).toBe(PERMISSION_DENIED);
  });

  it('takes an item through its workflow and a human review under that role', async () => {
    const refund = {
      ticketId: 'T-ROLE-1',
      channel: 'email',
      language: 'en',
      subject: 'Charged twice for my annual plan',
      body: 'My card was charged twice for the annual Pro plan this month. Please refund the duplicate charge of $450.',
      customer: { id: 'C-ROLE', name: 'Robin Vale', email: 'robin@example.com', tier: 'free', lifetimeValue: 120 },
      refundAmount: 450,
    };
    const res = await fetch(`${s.url}/api/v1/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'support-triage', input: refund }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await waitFor(
      async () =>
        (await s.db.selectFrom('items').select('status').where('id', '=', id).executeTakeFirst())?.status === 'waiting',
      { message: 'the refund waits for review' },
    );
    const anon = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${s.url}/trpc` })] });
    const { token } = await anon.auth.login.mutate({
      email: 'reviewer@demo.signoff',
      password: DEMO_PASSWORD,
      session: 'bearer',
    });
    const reviewer = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${s.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
    });
    const task = await reviewer.tasks.claimNext.mutate({ queue: 'refunds' });
    expect(task?.item_id).toBe(id);
    await reviewer.tasks.submit.mutate({ taskId: task?.id as string, verdict: 'confirm' });
    const done = await waitFor(
      async () => {
        const row = await s.db.selectFrom('items').select('status').where('id', '=', id).executeTakeFirst();
        return row?.status === 'succeeded' ? row : undefined;
      },
      { message: 'the item completes after the review' },
    );
    expect(done.status).toBe('succeeded');
    expect(await verifyAuditStream(s.db, id)).toMatchObject({ ok: true });
  });
});
