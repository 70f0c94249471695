import { trailInput } from '@signoff/core';
import { getDecisionTrail } from '@signoff/engine';
import { requirePermission, router } from './trpc';

/** Decision trails for compliance (docs/decision-trail.md). */
export const trailRouter = router({
  /**
   * Everything recorded about an item's decisions, its verdicts and timings, with the verification
   * of its audit chain: the document the JSON download serves and the PDF report lays out.
   */
  get: requirePermission('audit:read')
    .input(trailInput)
    .query(({ ctx, input }) => getDecisionTrail(ctx.db, input.itemId)),
});
