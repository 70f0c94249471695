// The audit API through createCaller: status with and without a signing key, checkpoints paged,
// the public key, one item's coverage, and a status that names tampering found in the database.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { WorkflowRegistry } from '@signoff/engine';
import { type AuditSigner, appendAudit, createCheckpoint, SYSTEM, upsertUser } from '@signoff/governance';
import { TRPCError } from '@trpc/server';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedItems, testSigningKey } from '../support/audited-items';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
let user: Context['user'];
let itemWithEvents: (n: number) => Promise<string>;
const signer = testSigningKey().signer;

beforeAll(async () => {
  t = await createTestDatabase();
  user = await upsertUser(t.db, { email: 'officer@audit.test', name: 'Officer', role: 'compliance', password: 'x' });
  itemWithEvents = await auditedItems(t.db, 'audit-api');
});
afterAll(() => t.drop());

function api(auditSigner: AuditSigner | null) {
  return createCallerFactory(appRouter)({
    db: t.db,
    boss: {} as PgBoss,
    registry: new WorkflowRegistry(),
    auditSigner,
    user,
    token: null,
  });
}

describe('without a signing key', () => {
  it('status says no checkpoints are made, and why', async () => {
    await itemWithEvents(2);
    const s = await api(null).audit.status();
    expect(s.signing).toEqual({
      configured: false,
      reason:
        'No audit signing key is configured (SIGNOFF_AUDIT_SIGNING_KEY or SIGNOFF_AUDIT_SIGNING_KEY_FILE): no checkpoints are made, so a chain rebuilt by someone who can write to the database would go unnoticed',
    });
    expect(s.checkpoints).toEqual({ count: 0, last: null, ok: true, problems: [] });
    expect(s.streams.broken).toBe(0);
    expect(s.streams.covered).toBe(0);
  });

  it('publicKey answers NOT_FOUND with the same reason', async () => {
    await expect(api(null).audit.publicKey()).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/^No audit signing key is configured/),
    });
  });
});

describe('with a signing key', () => {
  it('publicKey gives the PEM and fingerprint of the configured key', async () => {
    expect(await api(signer).audit.publicKey()).toEqual({
      fingerprint: signer.fingerprint,
      publicKey: signer.publicKeyPem,
    });
  });

  it("itemCoverage follows an item's head: none, covered, moved on", async () => {
    const item = await itemWithEvents(2);
    expect(await api(signer).audit.itemCoverage({ itemId: item })).toMatchObject({
      head: { seq: 2 },
      covered: false,
      checkpoint: null,
    });
    const made = await createCheckpoint(t.db, signer);
    expect(await api(signer).audit.itemCoverage({ itemId: item })).toMatchObject({
      head: { seq: 2 },
      covered: true,
      checkpoint: { seq: made?.seq, eventSeq: 2 },
    });
    await t.db
      .transaction()
      .execute((trx) => appendAudit(trx, { itemId: item, actor: SYSTEM, action: 'test.step', data: { i: 3 } }));
    expect(await api(signer).audit.itemCoverage({ itemId: item })).toMatchObject({
      head: { seq: 3 },
      covered: false,
      checkpoint: { seq: made?.seq, eventSeq: 2 },
    });
  });

  it('itemCoverage of an unknown item is NOT_FOUND, of a non-id BAD_REQUEST', async () => {
    await expect(
      api(signer).audit.itemCoverage({ itemId: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(api(signer).audit.itemCoverage({ itemId: 'nope' })).rejects.toBeInstanceOf(TRPCError);
  });

  it('checkpoints come newest first, a page at a time', async () => {
    for (let i = 0; i < 3; i++) {
      await itemWithEvents(1);
      await createCheckpoint(t.db, signer);
    }
    const all = await api(signer).audit.checkpoints({ limit: 200 });
    const seqs = all.checkpoints.map((c) => c.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(all.total).toBe(seqs.length);
    expect(all.nextBefore).toBeNull();
    const first = await api(signer).audit.checkpoints({ limit: 2 });
    expect(first.checkpoints.map((c) => c.seq)).toEqual(seqs.slice(0, 2));
    expect(first.nextBefore).toBe(seqs[1]);
    const second = await api(signer).audit.checkpoints({ limit: 2, before: first.nextBefore ?? undefined });
    expect(second.checkpoints.map((c) => c.seq)).toEqual(seqs.slice(2, 4));
    await expect(api(signer).audit.checkpoints({ limit: 0 })).rejects.toBeInstanceOf(TRPCError);
  });

  it('status verifies, then names an edited event and a checkpoint whose leaves were removed', async () => {
    const ok = await api(signer).audit.status();
    expect(ok.signing).toEqual({ configured: true, fingerprint: signer.fingerprint });
    expect(ok.checkpoints.ok).toBe(true);
    expect(ok.streams.broken).toBe(0);
    expect(ok.streams.problems).toEqual([]);

    const item = await itemWithEvents(3);
    const other = await itemWithEvents(1);
    const made = await createCheckpoint(t.db, signer);
    await t.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`UPDATE audit_events SET data = '{"i": 7}' WHERE stream = ${item} AND seq = 2`.execute(trx);
      await sql`DELETE FROM audit_checkpoint_leaves WHERE checkpoint_seq = ${made?.seq} AND stream = ${other}`.execute(
        trx,
      );
    });
    const bad = await api(signer).audit.status();
    expect(bad.streams.broken).toBe(1);
    expect(bad.streams.problems.map((p) => [p.code, p.stream, p.seq])).toEqual([['event-edited', item, 2]]);
    expect(bad.checkpoints.ok).toBe(false);
    expect(bad.checkpoints.problems.map((p) => [p.code, p.checkpoint])).toEqual([['proof', made?.seq]]);
  });
});
