import { retentionPurgeInput, retentionStatusInput } from '@signoff/core';
import { purgeExpired, retentionStatus } from '@signoff/governance';
import { requirePermission, router } from './trpc';

/**
 * Retention (docs/retention.md): the period each workflow keeps payloads, what is due, the last
 * purges; and a purge by hand, a dry run unless asked otherwise, audited as the admin who ran it.
 */
export const retentionRouter = router({
  /** Per workflow: the period in force and its source, the cut-off, items due and held, purged so far, the last purge. */
  status: requirePermission('audit:read')
    .input(retentionStatusInput)
    .query(({ ctx, input }) => retentionStatus(ctx.db, ctx.retentionDefault ?? null, { workflow: input.workflow })),
  /** Purges now (or counts, with `dryRun`, the default) the items past retention. */
  purge: requirePermission('retention:purge')
    .input(retentionPurgeInput)
    .mutation(({ ctx, input }) =>
      purgeExpired(ctx.db, {
        fallback: ctx.retentionDefault ?? null,
        workflow: input.workflow,
        dryRun: input.dryRun,
        actor: { type: 'user', id: ctx.user.id },
        trigger: 'api',
      }),
    ),
});
