import { fitCalibration, listCalibrations, usageByWorkflowAndDay } from '@signoff/ai';
import { calibrateInput, claimNextInput, itemListInput, loginInput, uuid, verdictInput } from '@signoff/core';
import {
  claimNextTask,
  getItemDetail,
  getItemTimeline,
  getTaskView,
  listItems,
  queueSummary,
  releaseTask,
  submitVerdict,
} from '@signoff/engine';
import { login, logout, verifyAuditStream } from '@signoff/governance';
import { z } from 'zod';
import { publicProcedure, requirePermission, router } from './trpc';

const taskRef = z.object({ taskId: uuid });
const itemRef = z.object({ itemId: uuid });

const auth = router({
  login: publicProcedure.input(loginInput).mutation(({ ctx, input }) => login(ctx.db, input.email, input.password)),
  logout: requirePermission('session').mutation(async ({ ctx }) => {
    if (ctx.token) await logout(ctx.db, ctx.token);
    return { ok: true };
  }),
  me: requirePermission('session').query(({ ctx }) => ctx.user),
});

const tasks = router({
  queues: requirePermission('queue:read').query(({ ctx }) => queueSummary(ctx.db)),
  /** Claims the next task (atomically) and returns what the task view shows, or null when the queue is empty. */
  claimNext: requirePermission('task:work')
    .input(claimNextInput)
    .mutation(async ({ ctx, input }) => {
      const task = await ctx.db.transaction().execute((trx) => claimNextTask(trx, ctx, ctx.user.id, input.queue));
      return task ? getTaskView(ctx.db, task.id) : null;
    }),
  get: requirePermission('task:work')
    .input(taskRef)
    .query(({ ctx, input }) => getTaskView(ctx.db, input.taskId)),
  submit: requirePermission('task:work')
    .input(verdictInput)
    .mutation(({ ctx, input }) => ctx.db.transaction().execute((trx) => submitVerdict(trx, ctx, ctx.user.id, input))),
  release: requirePermission('task:work')
    .input(taskRef)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.transaction().execute((trx) => releaseTask(trx, ctx, ctx.user.id, input.taskId));
      return { ok: true };
    }),
});

const items = router({
  list: requirePermission('item:read')
    .input(itemListInput)
    .query(({ ctx, input }) => listItems(ctx.db, input)),
  get: requirePermission('item:read')
    .input(itemRef)
    .query(({ ctx, input }) => getItemDetail(ctx.db, input.itemId)),
  timeline: requirePermission('item:read')
    .input(itemRef)
    .query(({ ctx, input }) => getItemTimeline(ctx.db, input.itemId)),
});

const audit = router({
  /** Recomputes an item's hash chain: proof its trail was not altered. */
  verifyItem: requirePermission('audit:read')
    .input(itemRef)
    .query(({ ctx, input }) => verifyAuditStream(ctx.db, input.itemId)),
});

const models = router({
  /** Every calibrator with its held-out ECE and Brier score before and after, newest first. */
  calibrations: requirePermission('metrics:read')
    .input(z.object({ agent: z.string().min(1).optional() }))
    .query(({ ctx, input }) => listCalibrations(ctx.db, input.agent)),
  /** AI calls, tokens and estimated cost per workflow and UTC day, over [from, to) (default: the last 30 days). */
  usage: requirePermission('metrics:read')
    .input(z.object({ from: z.coerce.date().optional(), to: z.coerce.date().optional() }))
    .query(({ ctx, input }) => {
      const to = input.to ?? new Date();
      const from = input.from ?? new Date(to.getTime() - 30 * 86_400_000);
      return usageByWorkflowAndDay(ctx.db, { from, to });
    }),
  /** Fits a calibrator from the human labels of an agent's model version; activates it if it helps. */
  calibrate: requirePermission('model:train')
    .input(calibrateInput)
    .mutation(({ ctx, input }) => fitCalibration(ctx.db, { ...input, actor: { type: 'user', id: ctx.user.id } })),
});

export const appRouter = router({ auth, tasks, items, audit, models });

/** All the console imports from the server: a type. */
export type AppRouter = typeof appRouter;
