// `audit.status`: do the stored checkpoints verify (signatures, chain, roots recomputed from their
// leaves), and does every stream's chain verify against its head and the checkpoints covering it?
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import type { BundleStream } from './bundle-format';
import { type BundleProblem, type ProvenLeaf, verifyCheckpointChain, verifyStream } from './bundle-verify';
import { type AuditSigner, checkpointLeafHash, type SignedCheckpoint } from './checkpoint-format';
import { findLastCheckpoint, toBundleEvent, toSignedCheckpoint } from './checkpoints';
import { merkleRoot } from './merkle';

/** Problems listed at most; the counts are complete. */
const MAX_PROBLEMS = 50;
/** Streams whose events are read at a time. */
const PAGE = 500;

export interface AuditStatus {
  signing: { configured: true; fingerprint: string } | { configured: false; reason: string };
  checkpoints: { count: number; last: SignedCheckpoint | null; ok: boolean; problems: BundleProblem[] };
  streams: {
    total: number;
    /** Streams whose chain, head and checkpoints all agree. */
    intact: number;
    /** Streams whose head is in a signed checkpoint (the rest moved since the last one). */
    covered: number;
    broken: number;
    problems: BundleProblem[];
  };
  checkedAt: string;
}

export const NO_SIGNING_KEY =
  'No audit signing key is configured (SIGNOFF_AUDIT_SIGNING_KEY or SIGNOFF_AUDIT_SIGNING_KEY_FILE): no checkpoints are made, so a chain rebuilt by someone who can write to the database would go unnoticed';

/**
 * Verifies everything the database holds about the audit log. It reads every event, so it costs
 * one pass over `audit_events`.
 *
 * @example
 * const s = await auditStatus(db, signer);
 * if (!s.checkpoints.ok || s.streams.broken) alert(s.streams.problems[0]?.message);
 */
export async function auditStatus(db: Kysely<DB>, signer: AuditSigner | null): Promise<AuditStatus> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const keys = new Map<string, KeyObject>();
      for (const k of await trx.selectFrom('audit_signing_keys').select(['fingerprint', 'public_key']).execute())
        keys.set(k.fingerprint, createPublicKey(k.public_key));
      const rows = await trx.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
      const checkpoints: SignedCheckpoint[] = rows.map(toSignedCheckpoint);
      const checkpointProblems: BundleProblem[] = [];
      // With a key configured, only its signatures count; without, the keys recorded with the checkpoints.
      const trusted = verifyCheckpointChain(
        checkpoints,
        (fp) => (signer ? (fp === signer.fingerprint ? keys.get(fp) : undefined) : keys.get(fp)),
        signer ? `the configured key (${signer.fingerprint})` : 'a recorded key',
        checkpointProblems,
      );
      // Every trusted checkpoint's stored leaves must give its signed root.
      const leavesByStream = new Map<string, ProvenLeaf[]>();
      const withLeaves = new Set<number>();
      const allLeaves = await trx
        .selectFrom('audit_checkpoint_leaves')
        .select(['checkpoint_seq', 'stream', 'seq', 'hash'])
        .orderBy('checkpoint_seq')
        .orderBy('position')
        .execute();
      for (let i = 0; i < allLeaves.length; ) {
        const seq = allLeaves[i]?.checkpoint_seq as number;
        let j = i;
        while (j < allLeaves.length && allLeaves[j]?.checkpoint_seq === seq) j++;
        const leaves = allLeaves.slice(i, j);
        i = j;
        withLeaves.add(seq);
        const signed = trusted.get(seq);
        if (!signed) continue;
        const root = merkleRoot(leaves.map(checkpointLeafHash)).toString('hex');
        if (root !== signed.root || leaves.length !== signed.leafCount) {
          checkpointProblems.push({
            code: 'proof',
            checkpoint: seq,
            message: `Checkpoint ${seq}: its stored leaves (${leaves.length}) do not give its signed root: leaves were changed or removed`,
          });
          continue;
        }
        for (const l of leaves) {
          const list = leavesByStream.get(l.stream) ?? [];
          list.push({ checkpoint: seq, seq: l.seq, hash: l.hash });
          leavesByStream.set(l.stream, list);
        }
      }
      for (const [seq, signed] of trusted)
        if (signed.leafCount > 0 && !withLeaves.has(seq))
          checkpointProblems.push({
            code: 'proof',
            checkpoint: seq,
            message: `Checkpoint ${seq}: its ${signed.leafCount} leaves are gone`,
          });

      const heads = [
        ...(
          await trx.selectFrom('items').select(['id as stream', 'audit_seq as seq', 'audit_hash as hash']).execute()
        ).map((h) => ({ ...h, stream: String(h.stream) })),
        ...(await trx.selectFrom('audit_heads').select(['stream', 'seq', 'hash']).execute()),
      ].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
      const streamProblems: BundleProblem[] = [];
      let intact = 0;
      let covered = 0;
      for (let i = 0; i < heads.length; i += PAGE) {
        const page = heads.slice(i, i + PAGE);
        const events = await trx
          .selectFrom('audit_events')
          .selectAll()
          .where(
            'stream',
            'in',
            page.map((h) => h.stream),
          )
          .orderBy('stream')
          .orderBy('seq')
          .execute();
        const byStream = new Map<string, BundleStream['events']>(page.map((h) => [h.stream, []]));
        for (const e of events) byStream.get(e.stream)?.push(toBundleEvent(e));
        for (const h of page) {
          const report = verifyStream(
            { stream: h.stream, head: { seq: h.seq, hash: h.hash }, events: byStream.get(h.stream) ?? [] },
            leavesByStream.get(h.stream) ?? [],
            streamProblems,
            [],
          );
          if (report.ok) intact++;
          if (report.coveredUpTo && report.coveredUpTo.seq === h.seq) covered++;
        }
      }
      const last = await findLastCheckpoint(trx);
      return {
        signing: signer
          ? { configured: true as const, fingerprint: signer.fingerprint }
          : { configured: false as const, reason: NO_SIGNING_KEY },
        checkpoints: {
          count: checkpoints.length,
          last: last ?? null,
          ok: checkpointProblems.length === 0,
          problems: checkpointProblems.slice(0, MAX_PROBLEMS),
        },
        streams: {
          total: heads.length,
          intact,
          covered,
          broken: heads.length - intact,
          problems: streamProblems.slice(0, MAX_PROBLEMS),
        },
        checkedAt: new Date().toISOString(),
      };
    });
}
