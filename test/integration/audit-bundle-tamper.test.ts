// Issue 12, point 1: each tampering is done as a superuser in the database (the append-only
// trigger bypassed), then a bundle is exported and verified offline; the verifier must name the
// stream and event. The expected problems are written from the tampering, by hand.
import type { DB } from '@signoff/db';
import {
  auditHash,
  type BundleVerification,
  checkpointHash,
  checkpointMessage,
  createCheckpoint,
  exportAuditBundle,
  verifyAuditStream,
  verifyBundle,
} from '@signoff/governance';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendItemEvents, auditedItems, testSigningKey } from '../support/audited-items';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
let itemWithEvents: (n: number) => Promise<string>;
const signer = testSigningKey().signer;
const newSigner = () => testSigningKey().signer;
const appendEvents = (itemId: string, n: number) => appendItemEvents(t.db, itemId, n);

beforeAll(async () => {
  t = await createTestDatabase();
  itemWithEvents = await auditedItems(t.db, 'tamper');
});
afterAll(() => t.drop());

/** Runs SQL with the append-only triggers off, as a superuser could. */
async function asSuperuser(db: Kysely<DB>, ...statements: ReturnType<typeof sql>[]) {
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    for (const s of statements) await s.execute(trx);
  });
}

async function exportAndVerify(items: string[], key = signer.publicKeyPem): Promise<BundleVerification> {
  const bundle = await exportAuditBundle(t.db, signer, { items });
  return verifyBundle(JSON.stringify(bundle), key);
}

/** The problems as [code, stream, seq]. */
function named(v: BundleVerification) {
  if (v.status === 'bad-input') throw new Error(`bad input: ${v.error}`);
  return v.problems.map((p) => [p.code, p.stream, p.seq]);
}

describe('an untouched log', () => {
  it('verifies, every stream covered by a signed checkpoint up to its head', async () => {
    const a = await itemWithEvents(3);
    const b = await itemWithEvents(2);
    const v = await exportAndVerify([a, b]);
    expect(named(v)).toEqual([]);
    expect(v.status).toBe('verified');
    if (v.status !== 'verified') return;
    expect(v.streams.map((s) => [s.stream, s.events, s.coveredUpTo?.seq])).toEqual(
      [
        [a, 3, 3],
        [b, 2, 2],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  });
});

describe('the verifier names the event', () => {
  it('of an edited event', async () => {
    const item = await itemWithEvents(4);
    await createCheckpoint(t.db, signer);
    await asSuperuser(
      t.db,
      sql`UPDATE audit_events SET data = '{"i": 2, "note": "approved"}' WHERE stream = ${item} AND seq = 2`,
    );
    expect(named(await exportAndVerify([item]))).toEqual([['event-edited', item, 2]]);
  });

  it('of a deleted event', async () => {
    const item = await itemWithEvents(4);
    await createCheckpoint(t.db, signer);
    await asSuperuser(t.db, sql`DELETE FROM audit_events WHERE stream = ${item} AND seq = 3`);
    expect(named(await exportAndVerify([item]))).toEqual([['event-missing', item, 3]]);
  });

  it('of reordered events', async () => {
    const item = await itemWithEvents(4);
    await createCheckpoint(t.db, signer);
    // Events 2 and 3 swap places.
    await asSuperuser(
      t.db,
      sql`UPDATE audit_events SET seq = 1000 WHERE stream = ${item} AND seq = 2`,
      sql`UPDATE audit_events SET seq = 2 WHERE stream = ${item} AND seq = 3`,
      sql`UPDATE audit_events SET seq = 3 WHERE stream = ${item} AND seq = 1000`,
    );
    expect(named(await exportAndVerify([item]))).toEqual([['event-reordered', item, 2]]);
  });

  it('after which a signed checkpoint finds the tail truncated, even with the head moved back to match', async () => {
    const item = await itemWithEvents(5);
    await createCheckpoint(t.db, signer);
    const third = await t.db
      .selectFrom('audit_events')
      .select('hash')
      .where('stream', '=', item)
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow();
    await asSuperuser(
      t.db,
      sql`DELETE FROM audit_events WHERE stream = ${item} AND seq > 3`,
      sql`UPDATE items SET audit_seq = 3, audit_hash = ${third.hash} WHERE id = ${item}::uuid`,
    );
    // The database alone no longer notices: chain and head agree.
    expect((await verifyAuditStream(t.db, item)).ok).toBe(true);
    expect(named(await exportAndVerify([item]))).toEqual([['tail-truncated', item, 4]]);
  });

  it('where a chain rebuilt by someone who can write to the database stops matching its signed checkpoints', async () => {
    const item = await itemWithEvents(1);
    await createCheckpoint(t.db, signer); // covers event 1
    await appendEvents(item, 3);
    await createCheckpoint(t.db, signer); // covers event 4
    // Event 3 is rewritten and every hash from it on recomputed, the head moved along.
    const events = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('stream', '=', item)
      .orderBy('seq')
      .execute();
    let prev = events[1]?.hash as string;
    const rewrites = [];
    for (const e of events.slice(2)) {
      const data = e.seq === 3 ? { i: 2, note: 'approved by the manager' } : (e.data as Record<string, unknown>);
      const hash = auditHash(prev, {
        stream: item,
        seq: e.seq,
        itemId: item,
        actorType: e.actor_type,
        actorId: e.actor_id,
        action: e.action,
        data,
        createdAt: e.created_at.toISOString(),
      });
      rewrites.push(
        sql`UPDATE audit_events SET data = ${JSON.stringify(data)}::jsonb, prev_hash = ${prev}, hash = ${hash} WHERE stream = ${item} AND seq = ${e.seq}`,
      );
      prev = hash;
    }
    rewrites.push(sql`UPDATE items SET audit_hash = ${prev} WHERE id = ${item}::uuid`);
    await asSuperuser(t.db, ...rewrites);
    expect((await verifyAuditStream(t.db, item)).ok).toBe(true);
    const v = await exportAndVerify([item]);
    expect(named(v)).toEqual([['chain-rewritten', item, 4]]);
    if (v.status === 'bad-input') return;
    expect(v.problems[0]?.message).toMatch(/at or before this event, after event 1 /);
  });
});

describe('the checkpoints and the bundle', () => {
  it('a checkpoint whose signature was replaced in the database is named', async () => {
    const item = await itemWithEvents(2);
    const made = await createCheckpoint(t.db, signer);
    if (!made) throw new Error('expected a checkpoint');
    // Signed by another key, over the same message: the fingerprint still claims ours.
    const forged = newSigner().sign(checkpointMessage(made));
    await asSuperuser(t.db, sql`UPDATE audit_checkpoints SET signature = ${forged} WHERE seq = ${made.seq}`);
    const v = await exportAndVerify([item]);
    if (v.status === 'bad-input') throw new Error(v.error);
    expect(v.status).toBe('tampered');
    expect(v.problems.map((p) => [p.code, p.checkpoint])).toEqual([['checkpoint-signature', made.seq]]);
    await asSuperuser(t.db, sql`UPDATE audit_checkpoints SET signature = ${made.signature} WHERE seq = ${made.seq}`);
  });

  it("a checkpoint forged with the forger's own key is named as signed by another key", async () => {
    const item = await itemWithEvents(2);
    const made = await createCheckpoint(t.db, signer);
    if (!made) throw new Error('expected a checkpoint');
    const forger = newSigner();
    const header = { ...made, keyFingerprint: forger.fingerprint };
    await asSuperuser(
      t.db,
      sql`INSERT INTO audit_signing_keys (fingerprint, public_key) VALUES (${forger.fingerprint}, ${forger.publicKeyPem})`,
      sql`UPDATE audit_checkpoints SET key_fingerprint = ${forger.fingerprint}, signature = ${forger.sign(checkpointMessage(header))} WHERE seq = ${made.seq}`,
    );
    const v = await exportAndVerify([item]);
    if (v.status === 'bad-input') throw new Error(v.error);
    const codes = v.problems.map((p) => [p.code, p.checkpoint]);
    expect(codes).toContainEqual(['wrong-key', made.seq]);
    await asSuperuser(
      t.db,
      sql`UPDATE audit_checkpoints SET key_fingerprint = ${made.keyFingerprint}, signature = ${made.signature} WHERE seq = ${made.seq}`,
    );
  });

  it('a bundle verified with another public key is refused for every signature', async () => {
    const item = await itemWithEvents(1);
    const v = await exportAndVerify([item], newSigner().publicKeyPem);
    if (v.status === 'bad-input') throw new Error(v.error);
    expect(v.status).toBe('tampered');
    expect(v.problems.length).toBeGreaterThan(1);
    expect(v.problems.every((p) => p.code === 'wrong-key')).toBe(true);
    expect(v.problems[0]?.message).toMatch(/^The bundle was signed by key [0-9a-f]{64}, not by the public key given/);
  });

  it('a bundle file changed after export is caught by its signature', async () => {
    const item = await itemWithEvents(2);
    const bundle = await exportAuditBundle(t.db, signer, { items: [item] });
    const text = JSON.stringify({ ...bundle, exportedAt: '2020-01-01T00:00:00.000Z' });
    const v = verifyBundle(text, signer.publicKeyPem);
    if (v.status === 'bad-input') throw new Error(v.error);
    expect(v.problems.map((p) => p.code)).toEqual(['bundle-signature']);
  });

  it('an event edited in the bundle file is named, besides the broken signature', async () => {
    const item = await itemWithEvents(3);
    const bundle = await exportAuditBundle(t.db, signer, { items: [item] });
    const event = bundle.streams[0]?.events[1];
    if (!event) throw new Error('expected event 2');
    event.data = { i: 2, note: 'something else' };
    const v = verifyBundle(JSON.stringify(bundle), signer.publicKeyPem);
    expect(named(v)).toEqual([
      ['bundle-signature', undefined, undefined],
      ['event-edited', item, 2],
    ]);
  });

  it('events swapped in the bundle file are named as reordered', async () => {
    const item = await itemWithEvents(4);
    const bundle = await exportAuditBundle(t.db, signer, { items: [item] });
    const events = bundle.streams[0]?.events;
    if (!events) throw new Error('expected the stream');
    [events[1], events[2]] = [events[2] as (typeof events)[number], events[1] as (typeof events)[number]];
    expect(named(verifyBundle(JSON.stringify(bundle), signer.publicKeyPem))).toEqual([
      ['bundle-signature', undefined, undefined],
      ['event-reordered', item, 3],
    ]);
  });

  it('a validly signed checkpoint swapped for another of the same number breaks the chain after it', async () => {
    const item = await itemWithEvents(1);
    await createCheckpoint(t.db, signer);
    await appendEvents(item, 1);
    await createCheckpoint(t.db, signer);
    const bundle = await exportAuditBundle(t.db, signer, { items: [item] });
    const i = bundle.checkpoints.length - 2;
    const original = bundle.checkpoints[i];
    if (!original) throw new Error('expected two checkpoints');
    // A fork: the key signed another checkpoint with this number (another root).
    const header = { ...original, root: 'f'.repeat(64) };
    bundle.checkpoints[i] = {
      ...header,
      hash: checkpointHash(header),
      signature: signer.sign(checkpointMessage(header)),
    };
    const v = verifyBundle(JSON.stringify(bundle), signer.publicKeyPem);
    if (v.status === 'bad-input') throw new Error(v.error);
    expect(v.problems.map((p) => [p.code, p.checkpoint])).toContainEqual(['checkpoint-chain', original.seq + 1]);
  });

  it('an inclusion proof changed in the file no longer leads to the signed root', async () => {
    const item = await itemWithEvents(2);
    const bundle = await exportAuditBundle(t.db, signer, { items: [item] });
    const proof = bundle.proofs[0];
    if (!proof) throw new Error('expected a proof');
    proof.index += 1;
    const v = verifyBundle(JSON.stringify(bundle), signer.publicKeyPem);
    expect(named(v)).toContainEqual(['proof', item, proof.seq]);
  });

  it('answers bad input (not tampering) for what is not a bundle or not a key', async () => {
    const item = await itemWithEvents(1);
    const bundle = await exportAuditBundle(t.db, signer, { items: [item] });
    expect(verifyBundle('{"format": "signoff-audit-bundle"', signer.publicKeyPem)).toMatchObject({
      status: 'bad-input',
      error: expect.stringMatching(/^The bundle is not JSON/),
    });
    expect(verifyBundle(JSON.stringify({ ...bundle, version: 2 }), signer.publicKeyPem)).toEqual({
      status: 'bad-input',
      error: 'The bundle is not a Signoff audit bundle: version: expected version 1',
    });
    expect(verifyBundle(JSON.stringify(bundle), 'not a key')).toEqual({
      status: 'bad-input',
      error: 'The public key is not a PEM public key',
    });
  });
});

// Last: it leaves a gap in the checkpoints that every later bundle would show.
describe('a checkpoint deleted from the database', () => {
  it('breaks the chain of checkpoints at the one after it', async () => {
    const item = await itemWithEvents(1);
    const gone = await createCheckpoint(t.db, signer);
    await appendEvents(item, 1);
    const next = await createCheckpoint(t.db, signer);
    if (!gone || !next) throw new Error('expected two checkpoints');
    await asSuperuser(
      t.db,
      sql`DELETE FROM audit_checkpoint_leaves WHERE checkpoint_seq = ${gone.seq}`,
      sql`DELETE FROM audit_checkpoints WHERE seq = ${gone.seq}`,
    );
    const v = await exportAndVerify([item]);
    if (v.status === 'bad-input') throw new Error(v.error);
    expect(v.problems.map((p) => [p.code, p.checkpoint])).toEqual([['checkpoint-chain', next.seq]]);
    expect(v.problems[0]?.message).toBe(
      `Checkpoint ${next.seq}: expected checkpoint ${gone.seq} here (a checkpoint is missing)`,
    );
  });
});
