import { decisionSearchInput } from '@signoff/core';
import { DECISION_STAFF_PATHS, searchDecisions } from '@signoff/governance';
import { requirePermission, router } from './trpc';

export const decisionsRouter = router({
  /**
   * Compliance's decision search: filters (time window `[from, to)`, workflow, state, item status,
   * model and version, reviewer, routes, overridden, reviewed, confidence `[min, max)` calibrated or
   * raw, policy version, certificate), newest first, a keyset page at a time; `includeTotal`
   * counts the matches up to 10,000. The whole result set downloads as CSV or JSON from
   * `/trpc/decisions/export` (or `/api/v1/decisions/export` with a bearer token).
   */
  search: requirePermission('audit:read', { unmasked: DECISION_STAFF_PATHS.map((p) => `rows.*.${p}`) })
    .input(decisionSearchInput)
    .query(({ ctx, input }) => {
      const { cursor, limit, includeTotal, ...filters } = input;
      return searchDecisions(ctx.db, filters, { cursor, limit, includeTotal });
    }),
});
