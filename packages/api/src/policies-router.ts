import { policyHistoryInput } from '@signoff/core';
import { listPolicyChanges } from '@signoff/trust';
import { requirePermission, router } from './trpc';

/**
 * The policy history: every change to thresholds, certified targets, certificates, risk rules,
 * sampling, review modes and auto-accept (paused, resumed), with who, when, why and the old and new
 * values. For compliance (`audit:read`) and for whoever sees the trust screens (`metrics:read`:
 * data scientists, who make these changes). See docs/policy-history.md.
 */
export const policiesRouter = router({
  /**
   * One page of changes, newest first; `nextCursor` fetches the next. Who made each change is
   * staff account data (a user's e-mail, a deployer's name) and stays unmasked; reasons and values
   * are masked like every answer.
   */
  history: requirePermission(['audit:read', 'metrics:read'], {
    unmasked: ['changes.*.actor.label', 'changes.*.actor.id'],
  })
    .input(policyHistoryInput)
    .query(({ ctx, input }) => listPolicyChanges(ctx.db, input)),
});
