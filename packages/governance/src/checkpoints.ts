// Signed checkpoints of the whole audit log: the heads of the streams that moved since the last
// checkpoint, as the leaves of an RFC 6962 Merkle tree whose root is chained and signed.
import { AppError, isUuid } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { BundleEvent } from './bundle-format';
import {
  type AuditSigner,
  CHECKPOINT_GENESIS,
  CHECKPOINT_VERSION,
  type CheckpointHeader,
  type CheckpointLeaf,
  checkpointHash,
  checkpointLeafHash,
  checkpointMessage,
  type SignedCheckpoint,
  sortLeaves,
} from './checkpoint-format';
import { merkleRoot } from './merkle';

/** Serialises checkpoint making across processes (CLI, scheduled job, exports). */
const CHECKPOINT_LOCK = 7_270_024;

type Db = Kysely<DB> | Transaction<DB>;

/** A stored checkpoint as the bundle and the verifier see it. */
export const toSignedCheckpoint = (r: Selectable<DB['audit_checkpoints']>): SignedCheckpoint => ({
  version: r.version,
  seq: r.seq,
  createdAt: r.created_at.toISOString(),
  prevHash: r.prev_hash,
  root: r.root,
  leafCount: r.leaf_count,
  keyFingerprint: r.key_fingerprint,
  hash: r.hash,
  signature: r.signature,
});

/** A stored audit event as a bundle holds it. */
export const toBundleEvent = (e: Selectable<DB['audit_events']>): BundleEvent => ({
  seq: e.seq,
  itemId: e.item_id,
  actorType: e.actor_type,
  actorId: e.actor_id,
  action: e.action,
  data: e.data as Record<string, unknown>,
  createdAt: e.created_at.toISOString(),
  prevHash: e.prev_hash,
  hash: e.hash,
});

/**
 * The heads of the streams not yet in any checkpoint at their current place. A head is committed
 * with its event, so reading heads (not events by id, which commit out of order) misses nothing:
 * a head that moves after this read differs from the one checkpointed, and the next checkpoint
 * takes it.
 */
export async function movedStreamHeads(db: Db): Promise<CheckpointLeaf[]> {
  const r = await sql<CheckpointLeaf>`
    SELECT h.stream, h.seq, h.hash FROM (
      SELECT i.id::text AS stream, i.audit_seq AS seq, i.audit_hash AS hash FROM items i WHERE i.audit_seq > 0
      UNION ALL
      SELECT stream, seq, hash FROM audit_heads WHERE seq > 0
    ) h
    WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoint_leaves l WHERE l.stream = h.stream AND l.seq = h.seq)
  `.execute(db);
  return sortLeaves(r.rows);
}

export async function findLastCheckpoint(db: Db): Promise<SignedCheckpoint | undefined> {
  const row = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? toSignedCheckpoint(row) : undefined;
}

/**
 * Makes the next checkpoint, signed by `signer`, if any stream moved since the last one (else
 * returns null). Safe to call from many processes at once: they take turns on an advisory lock,
 * and each then sees what the one before it checkpointed.
 *
 * @example
 * const made = await createCheckpoint(db, signer);
 * if (made) console.log(`checkpoint ${made.seq}: ${made.leafCount} streams, root ${made.root}`);
 */
export async function createCheckpoint(
  db: Kysely<DB>,
  signer: AuditSigner,
  options: { now?: Date } = {},
): Promise<SignedCheckpoint | null> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${CHECKPOINT_LOCK})`.execute(trx);
    const leaves = await movedStreamHeads(trx);
    if (leaves.length === 0) return null;
    const last = await findLastCheckpoint(trx);
    const header: CheckpointHeader = {
      version: CHECKPOINT_VERSION,
      seq: (last?.seq ?? 0) + 1,
      createdAt: (options.now ?? new Date()).toISOString(),
      prevHash: last?.hash ?? CHECKPOINT_GENESIS,
      root: merkleRoot(leaves.map(checkpointLeafHash)).toString('hex'),
      leafCount: leaves.length,
      keyFingerprint: signer.fingerprint,
    };
    const signed: SignedCheckpoint = {
      ...header,
      hash: checkpointHash(header),
      signature: signer.sign(checkpointMessage(header)),
    };
    await trx
      .insertInto('audit_signing_keys')
      .values({ fingerprint: signer.fingerprint, public_key: signer.publicKeyPem })
      .onConflict((oc) => oc.column('fingerprint').doNothing())
      .execute();
    await trx
      .insertInto('audit_checkpoints')
      .values({
        seq: signed.seq,
        version: signed.version,
        created_at: new Date(signed.createdAt),
        prev_hash: signed.prevHash,
        root: signed.root,
        leaf_count: signed.leafCount,
        key_fingerprint: signed.keyFingerprint,
        hash: signed.hash,
        signature: signed.signature,
      })
      .execute();
    for (let i = 0; i < leaves.length; i += 5000)
      await trx
        .insertInto('audit_checkpoint_leaves')
        .values(
          leaves.slice(i, i + 5000).map((l, j) => ({
            checkpoint_seq: signed.seq,
            position: i + j,
            stream: l.stream,
            seq: l.seq,
            hash: l.hash,
          })),
        )
        .execute();
    return signed;
  });
}

/** Checkpoints newest first, `limit` of them before checkpoint `before` (keyset pagination). */
export async function listCheckpoints(
  db: Db,
  page: { before?: number; limit: number },
): Promise<{ checkpoints: SignedCheckpoint[]; nextBefore: number | null; total: number }> {
  const rows = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .$if(page.before !== undefined, (q) => q.where('seq', '<', page.before as number))
    .orderBy('seq', 'desc')
    .limit(page.limit + 1)
    .execute();
  const { n } = await db
    .selectFrom('audit_checkpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const more = rows.length > page.limit;
  const checkpoints = rows.slice(0, page.limit).map(toSignedCheckpoint);
  return { checkpoints, nextBefore: more ? (checkpoints.at(-1)?.seq ?? null) : null, total: Number(n) };
}

/** A checkpoint's leaves in tree order. */
export async function checkpointLeaves(db: Db, seq: number): Promise<CheckpointLeaf[]> {
  return db
    .selectFrom('audit_checkpoint_leaves')
    .select(['stream', 'seq', 'hash'])
    .where('checkpoint_seq', '=', seq)
    .orderBy('position')
    .execute();
}

export interface ItemCoverage {
  itemId: string;
  /** The item's chain head now. */
  head: { seq: number; hash: string };
  /** Whether the head itself is in a signed checkpoint. */
  covered: boolean;
  /** The newest checkpoint with a leaf of this item: which event it covers, and whether that is still the event's hash. */
  checkpoint: { seq: number; createdAt: string; eventSeq: number; eventHash: string } | null;
}

/**
 * Is an item's chain head covered by a signed checkpoint, and by which? `covered` is false for an
 * item that moved since the last checkpoint (until the next one) or whose head no longer matches.
 *
 * @example
 * const c = await itemCoverage(db, itemId);
 * if (!c.covered) console.log(`not yet checkpointed: head event ${c.head.seq}`);
 */
export async function itemCoverage(db: Db, itemId: string): Promise<ItemCoverage> {
  if (!isUuid(itemId)) throw new AppError('BAD_INPUT', 'itemId must be a UUID');
  const item = await db
    .selectFrom('items')
    .select(['audit_seq', 'audit_hash'])
    .where('id', '=', itemId)
    .executeTakeFirst();
  if (!item) throw new AppError('NOT_FOUND', `No item ${itemId}`);
  const leaf = await db
    .selectFrom('audit_checkpoint_leaves as l')
    .innerJoin('audit_checkpoints as c', 'c.seq', 'l.checkpoint_seq')
    .select(['c.seq as checkpointSeq', 'c.created_at', 'l.seq', 'l.hash'])
    .where('l.stream', '=', itemId)
    .orderBy('l.seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const head = { seq: item.audit_seq, hash: item.audit_hash };
  return {
    itemId,
    head,
    covered: !!leaf && leaf.seq === head.seq && leaf.hash === head.hash,
    checkpoint: leaf
      ? { seq: leaf.checkpointSeq, createdAt: leaf.created_at.toISOString(), eventSeq: leaf.seq, eventHash: leaf.hash }
      : null,
  };
}
