import { appendAudit, SYSTEM, verifyAuditStream } from '@signoff/governance';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function appendMany(stream: string, n: number) {
  for (let i = 0; i < n; i++) {
    await t.db
      .transaction()
      .execute((trx) =>
        appendAudit(
          trx,
          stream === 'config'
            ? { actor: SYSTEM, action: 'test.event', data: { i } }
            : { itemId: stream, actor: SYSTEM, action: 'test.event', data: { i, nested: { b: 1, a: [1, 2] } } },
        ),
      );
  }
}

describe('audit chain', () => {
  it('chains events per stream and verifies intact chains', async () => {
    await appendMany('config', 3);
    const v = await verifyAuditStream(t.db, 'config');
    const last = await t.db
      .selectFrom('audit_events')
      .select('hash')
      .where('stream', '=', 'config')
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow();
    expect(v).toEqual({ stream: 'config', ok: true, checked: 3, head: { seq: 3, hash: last.hash } });
  });

  it('refuses updates and deletes outright', async () => {
    await expect(sql`UPDATE audit_events SET action = 'x'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_events`.execute(t.db)).rejects.toThrow(/append-only/);
  });

  it('detects an edited event even when someone bypasses the trigger', async () => {
    await appendMany('config', 2);
    await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`.execute(t.db);
    await sql`UPDATE audit_events SET data = '{"i": 99}' WHERE stream = 'config' AND seq = 2`.execute(t.db);
    await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update`.execute(t.db);
    const v = await verifyAuditStream(t.db, 'config');
    expect(v.ok).toBe(false);
    expect(v.broken).toEqual({ seq: 2, reason: 'content does not match its hash (edited)' });
  });

  it('detects a removed event', async () => {
    await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`.execute(t.db);
    await sql`DELETE FROM audit_events WHERE stream = 'config' AND seq = 1`.execute(t.db);
    await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update`.execute(t.db);
    const v = await verifyAuditStream(t.db, 'config');
    expect(v.ok).toBe(false);
    expect(v.broken?.seq).toBe(2);
  });
});
