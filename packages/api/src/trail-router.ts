import { TRAIL_STAFF_PATHS, trailInput } from '@signoff/core';
import { getDecisionTrail, maskTrail } from '@signoff/engine';
import { requirePermission, router } from './trpc';

/** Decision trails for compliance (docs/decision-trail.md). */
export const trailRouter = router({
  /**
   * Everything recorded about an item's decisions, its verdicts and timings, with the verification
   * of its audit chain: the document the JSON download serves and the PDF report lays out. Item
   * data is PII-masked; the staff who reviewed or acted are named.
   */
  // The staff who acted stay named (maskTrail leaves them; so does the answer's masking).
  get: requirePermission('audit:read', { unmasked: TRAIL_STAFF_PATHS })
    .input(trailInput)
    .query(async ({ ctx, input }) => maskTrail(await getDecisionTrail(ctx.db, input.itemId))),
});
