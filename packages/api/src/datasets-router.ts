import { datasetCreateInput, datasetRef } from '@signoff/core';
import { createSnapshot, getSnapshot, listSnapshots } from '@signoff/datasets';
import { z } from 'zod';
import { requirePermission, router } from './trpc';

/**
 * Dataset snapshots: immutable, versioned sets of labels with a split, a manifest and a content
 * hash. The files themselves stream from `GET /trpc/datasets/:id/export` (apps/server), not
 * through tRPC, whose answers are JSON.
 */
export const datasetsRouter = router({
  /** Freezes the labels the filters take into a new snapshot; its manifest comes back. */
  create: requirePermission('label:export')
    .input(datasetCreateInput)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute((trx) => createSnapshot(trx, input, { type: 'user', id: ctx.user.id })),
    ),
  /** Snapshots, newest first. */
  list: requirePermission('label:export')
    .input(z.strictObject({ limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 }))
    .query(({ ctx, input }) => listSnapshots(ctx.db, input.limit)),
  /** A snapshot with its manifest. */
  get: requirePermission('label:export')
    .input(datasetRef)
    .query(({ ctx, input }) => getSnapshot(ctx.db, input.snapshotId)),
});
