// What a lead does with the queues they lead (`task:lead`): watch open work, see who holds what,
// hand tasks to named people, read per-reviewer progress and the overdue and escalated tasks. A
// lead reaches only the queues they are a member of (queue_members); an admin reaches all.
import {
  leadEscalationsInput,
  leadMembersInput,
  leadProgressInput,
  leadTasksInput,
  reassignInput,
} from '@signoff/core';
import {
  escalatedTasks,
  leadQueueMembers,
  leadQueues,
  leadScopeOf,
  leadTasks,
  reassignTask,
  reviewerProgress,
} from '@signoff/engine';
import { requirePermission, router } from './trpc';

const lead = requirePermission('task:lead').use(async ({ ctx, next }) =>
  next({ ctx: { ...ctx, scope: await leadScopeOf(ctx.db, ctx.user) } }),
);

export const leadsRouter = router({
  /** Open work per queue the caller leads: pending, claimed, expired, overdue, escalated, adjudications, members. */
  queues: lead.query(({ ctx }) => leadQueues(ctx.db, ctx.scope)),
  /** A queue's open tasks in claim order, with who holds each, its due time and lease. */
  tasks: lead.input(leadTasksInput).query(({ ctx, input }) => leadTasks(ctx.db, ctx.scope, input)),
  /** Hands a task to an eligible member of its queue, who then holds it (audited `task.reassigned`). */
  reassign: lead.input(reassignInput).mutation(async ({ ctx, input }) => {
    await ctx.db.transaction().execute((trx) => reassignTask(trx, ctx, ctx.scope, input));
    return { ok: true as const };
  }),
  /** Per reviewer over a window: done, overrides of the AI, mean and median time per task, open claims. */
  progress: lead.input(leadProgressInput).query(({ ctx, input }) => reviewerProgress(ctx.db, ctx.scope, input)),
  /** Open tasks past their due time or escalated, in (or escalated out of) the caller's queues. */
  escalations: lead.input(leadEscalationsInput).query(({ ctx, input }) => escalatedTasks(ctx.db, ctx.scope, input)),
  /** A queue's members; with a task, whether each may be handed it and why not. */
  members: lead.input(leadMembersInput).query(({ ctx, input }) => leadQueueMembers(ctx.db, ctx.scope, input)),
});
