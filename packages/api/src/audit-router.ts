import { AppError, uuid } from '@signoff/core';
import {
  auditStatus,
  GLOBAL_STREAMS,
  itemCoverage,
  listCheckpoints,
  NO_SIGNING_KEY,
  verifyAuditStream,
} from '@signoff/governance';
import { z } from 'zod';
import { requirePermission, router } from './trpc';

const itemRef = z.object({ itemId: uuid });

/**
 * The audit trail: hash chains per stream, signed checkpoints of the whole log, and what an
 * auditor needs to check them offline (the public key; bundles stream from `GET /trpc/audit/bundle`).
 */
export const auditRouter = router({
  /** Recomputes an item's hash chain: proof its trail was not altered. */
  verifyItem: requirePermission('audit:read')
    .input(itemRef)
    .query(({ ctx, input }) => verifyAuditStream(ctx.db, input.itemId)),
  /** The same for a stream without an item (`config`, `security`), with its head to note down elsewhere. */
  verifyStream: requirePermission('audit:read')
    .input(z.object({ stream: z.enum(GLOBAL_STREAMS) }))
    .query(({ ctx, input }) => verifyAuditStream(ctx.db, input.stream)),
  /**
   * Whether the log verifies: the signing key, the checkpoints (signatures, chain, roots from their
   * leaves) and every stream's chain against its head and the checkpoints that cover it.
   */
  status: requirePermission('audit:read').query(({ ctx }) => auditStatus(ctx.db, ctx.auditSigner ?? null)),
  /** Signed checkpoints, newest first; pass `before` (the previous page's `nextBefore`) for the next page. */
  checkpoints: requirePermission('audit:read')
    .input(
      z
        .strictObject({
          before: z.number().int().min(1).optional(),
          limit: z.number().int().min(1).max(200).default(20),
        })
        .default({ limit: 20 }),
    )
    .query(({ ctx, input }) => listCheckpoints(ctx.db, input)),
  /** The public key (SPKI PEM) that verifies checkpoints and bundles, with its fingerprint. */
  publicKey: requirePermission('audit:read').query(({ ctx }) => {
    const signer = ctx.auditSigner;
    if (!signer) throw new AppError('NOT_FOUND', NO_SIGNING_KEY);
    return { fingerprint: signer.fingerprint, publicKey: signer.publicKeyPem };
  }),
  /** Whether an item's chain head is covered by a signed checkpoint, and by which. */
  itemCoverage: requirePermission('audit:read')
    .input(itemRef)
    .query(({ ctx, input }) => itemCoverage(ctx.db, input.itemId)),
});
