// Writes audit bundles (format: bundle-format.ts, docs/audit.md): the chosen streams' events and
// heads, every checkpoint, and inclusion proofs of the chosen streams' leaves, signed.
import { AppError, isUuid } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely, Transaction } from 'kysely';
import { GLOBAL_STREAMS } from './audit';
import {
  type AuditBundle,
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleProof,
  type BundleStream,
  bundleMessage,
  type UnsignedBundle,
} from './bundle-format';
import { type AuditSigner, checkpointLeafHash } from './checkpoint-format';
import { checkpointLeaves, createCheckpoint, toBundleEvent, toSignedCheckpoint } from './checkpoints';
import { inclusionProof } from './merkle';

export interface BundleSelection {
  /** These items' streams; unset: every item's, and `config` and `security`. */
  items?: string[];
  /** Items created at or after / before these times (with or without `items`). */
  from?: Date;
  to?: Date;
}

/**
 * Makes a checkpoint (when a stream moved) so that the bundle's streams are covered up to now,
 * then reads the bundle in one snapshot and signs it. Unknown item ids are refused (`NOT_FOUND`).
 *
 * @example
 * const bundle = await exportAuditBundle(db, signer, { items: [itemId] });
 * await writeFile('bundle.json', JSON.stringify(bundle));
 */
export async function exportAuditBundle(
  db: Kysely<DB>,
  signer: AuditSigner,
  selection: BundleSelection = {},
): Promise<AuditBundle> {
  for (const id of selection.items ?? [])
    if (!isUuid(id)) throw new AppError('BAD_INPUT', `Item ids must be UUIDs (got "${id}")`);
  if (selection.from && selection.to && selection.from >= selection.to)
    throw new AppError('BAD_INPUT', '--from must be before --to');
  await createCheckpoint(db, signer);
  const unsigned = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => readBundle(trx, selection));
  return {
    ...unsigned,
    signature: { keyFingerprint: signer.fingerprint, value: signer.sign(bundleMessage(unsigned)) },
  };
}

async function readBundle(trx: Transaction<DB>, selection: BundleSelection): Promise<UnsignedBundle> {
  const items = await trx
    .selectFrom('items')
    .select(['id', 'audit_seq', 'audit_hash'])
    .$if(!!selection.items?.length, (q) => q.where('id', 'in', selection.items as string[]))
    .$if(selection.from !== undefined, (q) => q.where('created_at', '>=', selection.from as Date))
    .$if(selection.to !== undefined, (q) => q.where('created_at', '<', selection.to as Date))
    .orderBy('id')
    .execute();
  if (selection.items?.length) {
    const found = new Set(items.map((i) => i.id));
    const missing = selection.items.filter((id) => !found.has(id));
    if (missing.length && !selection.from && !selection.to)
      throw new AppError('NOT_FOUND', `No item ${missing.join(', ')}`);
  }
  const heads = new Map<string, { seq: number; hash: string }>(
    items.map((i) => [i.id, { seq: i.audit_seq, hash: i.audit_hash }]),
  );
  if (!selection.items?.length && !selection.from && !selection.to) {
    const globals = await trx
      .selectFrom('audit_heads')
      .select(['stream', 'seq', 'hash'])
      .where('stream', 'in', [...GLOBAL_STREAMS])
      .execute();
    for (const g of globals) heads.set(g.stream, { seq: g.seq, hash: g.hash });
  }
  const names = [...heads.keys()];
  const events = names.length
    ? await trx
        .selectFrom('audit_events')
        .selectAll()
        .where('stream', 'in', names)
        .orderBy('stream')
        .orderBy('seq')
        .execute()
    : [];
  const byStream = new Map<string, BundleStream['events']>(names.map((n) => [n, []]));
  for (const e of events) byStream.get(e.stream)?.push(toBundleEvent(e));
  const streams: BundleStream[] = names.map((stream) => ({
    stream,
    head: heads.get(stream) as { seq: number; hash: string },
    events: byStream.get(stream) ?? [],
  }));

  const checkpoints = (await trx.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute()).map(
    toSignedCheckpoint,
  );
  const proofs = await proveLeaves(trx, names);
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: new Date().toISOString(),
    selection: {
      items: selection.items ?? null,
      from: selection.from?.toISOString() ?? null,
      to: selection.to?.toISOString() ?? null,
    },
    streams,
    checkpoints,
    proofs,
  };
}

/** Inclusion proofs of every checkpoint leaf of these streams, each from its checkpoint's stored leaves. */
async function proveLeaves(trx: Transaction<DB>, streams: string[]): Promise<BundleProof[]> {
  if (streams.length === 0) return [];
  const wanted = await trx
    .selectFrom('audit_checkpoint_leaves')
    .select(['checkpoint_seq', 'position'])
    .where('stream', 'in', streams)
    .orderBy('checkpoint_seq')
    .orderBy('position')
    .execute();
  const proofs: BundleProof[] = [];
  let tree: { seq: number; leaves: Awaited<ReturnType<typeof checkpointLeaves>>; hashes: Buffer[] } | undefined;
  for (const w of wanted) {
    if (tree?.seq !== w.checkpoint_seq) {
      const leaves = await checkpointLeaves(trx, w.checkpoint_seq);
      tree = { seq: w.checkpoint_seq, leaves, hashes: leaves.map(checkpointLeafHash) };
    }
    const leaf = tree.leaves[w.position];
    if (!leaf) continue;
    proofs.push({
      checkpoint: w.checkpoint_seq,
      index: w.position,
      stream: leaf.stream,
      seq: leaf.seq,
      hash: leaf.hash,
      path: inclusionProof(tree.hashes, w.position).map((h) => h.toString('hex')),
    });
  }
  return proofs;
}
