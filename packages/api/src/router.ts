import { fitCalibration, importExamples, listCalibrations, listCapabilities, usageByWorkflowAndDay } from '@signoff/ai';
import {
  AppError,
  accuracyInput,
  adjudicateInput,
  applyCertificateInput,
  calibrateInput,
  certifyInput,
  claimNextInput,
  escalateTaskInput,
  itemListInput,
  loginInput,
  policyChangeInput,
  policyRef,
  uuid,
  verdictInput,
} from '@signoff/core';
import {
  adjudicateDecision,
  claimNextTask,
  escalateTask,
  getItemDetail,
  getItemTimeline,
  getTaskView,
  heartbeatTask,
  listItems,
  queueSummary,
  readTask,
  releaseTask,
  skipTask,
  submitVerdict,
} from '@signoff/engine';
import { type Actor, login, logout, type SessionUser } from '@signoff/governance';
import {
  accuracyReport,
  applyCertificate,
  certifyState,
  evaluateDriftGuards,
  getCertificate,
  pausePolicy,
  policyHistory,
  resumePolicy,
  trustOverview,
} from '@signoff/trust';
import { z } from 'zod';
import { apiKeysRouter, queuesRouter, usersRouter } from './admin-router';
import { auditRouter } from './audit-router';
import { dashboards } from './dashboards-router';
import { datasetsRouter } from './datasets-router';
import { leadsRouter } from './leads-router';
import { piiRouter } from './pii-router';
import { policiesRouter } from './policies-router';
import { retentionRouter } from './retention-router';
import { decisionsRouter } from './search-router';
import { trailRouter } from './trail-router';
import { publicProcedureKeeping, requirePermission, router } from './trpc';

const taskRef = z.object({ taskId: uuid });
const itemRef = z.object({ itemId: uuid });

const actorOf = (user: SessionUser): Actor => ({ type: 'user', id: user.id });

const auth = router({
  /**
   * Opens a session. The console's (`session: 'cookie'`) travels in an HttpOnly cookie and the
   * answer has no token; `session: 'bearer'` returns the token for `Authorization: Bearer`.
   */
  login: publicProcedureKeeping(['user.email', 'token'])
    .input(loginInput)
    .mutation(async ({ ctx, input }): Promise<{ user: SessionUser; expiresAt: string; token?: string }> => {
      const { cookies } = ctx;
      if (input.session === 'cookie' && !cookies)
        throw new AppError('BAD_INPUT', 'A cookie session needs HTTP; ask for session "bearer"');
      const opened = await login(ctx.db, input.email, input.password, { clientAddress: ctx.clientAddress ?? null });
      const expiresAt = opened.expiresAt.toISOString();
      if (input.session === 'bearer') return { user: opened.user, expiresAt, token: opened.token };
      cookies?.issue(opened.token, opened.lifetimeSeconds);
      return { user: opened.user, expiresAt };
    }),
  logout: requirePermission('session').mutation(async ({ ctx }) => {
    const { token } = ctx;
    if (token) await ctx.db.transaction().execute((trx) => logout(trx, token));
    ctx.cookies?.clear();
    return { ok: true };
  }),
  me: requirePermission('session', { unmasked: ['email'] }).query(({ ctx }) => ctx.user),
});

const tasks = router({
  /** Open work in the caller's queues (every queue for an admin); expired claims count as pending. */
  queues: requirePermission('queue:read').query(({ ctx }) => queueSummary(ctx.db, ctx.user)),
  /**
   * Claims the next task (atomically; membership, priority, due time, four-eyes and skips decide)
   * and returns what the task view shows, or null when there is nothing for the caller.
   */
  claimNext: requirePermission('task:work')
    .input(claimNextInput)
    .mutation(async ({ ctx, input }) => {
      const task = await ctx.db.transaction().execute((trx) => claimNextTask(trx, ctx, ctx.user, input.queue));
      return task ? getTaskView(ctx.db, task.id) : null;
    }),
  /** A task its holder, a lead of its queue or an admin may open; anyone else is refused. */
  get: requirePermission('task:work')
    .input(taskRef)
    .query(({ ctx, input }) => readTask(ctx.db, ctx.user, input.taskId)),
  /** Renews the caller's lease on a task they hold. */
  heartbeat: requirePermission('task:work')
    .input(taskRef)
    .mutation(({ ctx, input }) => ctx.db.transaction().execute((trx) => heartbeatTask(trx, ctx.user, input.taskId))),
  submit: requirePermission('task:work')
    .input(verdictInput)
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.db.transaction().execute((trx) => submitVerdict(trx, ctx, ctx.user.id, input));
      // A QA verdict is an audit sample: the drift guard looks at once, not at its next minute.
      if (r.qa) await evaluateDriftGuards(ctx.db).catch((e) => console.error('[trust] drift guard', e));
      return r;
    }),
  release: requirePermission('task:work')
    .input(taskRef)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.transaction().execute((trx) => releaseTask(trx, ctx, ctx.user, input.taskId));
      return { ok: true };
    }),
  /** Passes a held task to the next reviewer; it is not offered to the caller again for a while. */
  skip: requirePermission('task:work')
    .input(taskRef)
    .mutation(async ({ ctx, input }) => {
      await ctx.db.transaction().execute((trx) => skipTask(trx, ctx, ctx.user, input.taskId));
      return { ok: true };
    }),
  /** Hands a held task up to its escalation queue, with a reason. */
  escalate: requirePermission('task:work')
    .input(escalateTaskInput)
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.db
        .transaction()
        .execute((trx) => escalateTask(trx, ctx, ctx.user, input.taskId, input.reason));
      return { ok: true, ...r };
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
  /**
   * What each OpenAI-compatible endpoint's model supports (output modes, log probabilities, n,
   * temperature, refusals) and where its confidence comes from, as learnt by workers and probes.
   */
  capabilities: requirePermission('metrics:read').query(({ ctx }) => listCapabilities(ctx.db)),
  /** Asks the configured endpoint afresh what a model (default: the configured one) supports, and stores it. */
  probe: requirePermission('model:train')
    .input(z.strictObject({ model: z.string().trim().min(1, 'Name the model, or leave it out').max(200).optional() }))
    .mutation(({ ctx, input }) => {
      if (!ctx.probeModel)
        throw new AppError(
          'BAD_INPUT',
          'No OpenAI-compatible endpoint is configured: start the server with OPENAI_API_KEY (and OPENAI_BASE_URL) set',
        );
      return ctx.probeModel(input.model);
    }),
  /** Fits a calibrator from the human labels of an agent's model version; activates it if it helps. */
  calibrate: requirePermission('model:train')
    .input(calibrateInput)
    .mutation(({ ctx, input }) => fitCalibration(ctx.db, { ...input, actor: { type: 'user', id: ctx.user.id } })),
});

const trust = router({
  /** Every certified state: policy in force, certificate, drift guard, progress towards a certificate. */
  states: requirePermission('metrics:read').query(({ ctx }) => trustOverview(ctx.db)),
  /** The error of the automated path (Horvitz-Thompson, exact interval), apart from accuracy on routed items. */
  accuracy: requirePermission('metrics:read')
    .input(accuracyInput)
    .query(({ ctx, input }) => accuracyReport(ctx.db, input)),
  /** A state's policy versions, newest first: every change, with its reason. */
  history: requirePermission('metrics:read')
    .input(policyRef)
    .query(({ ctx, input }) => policyHistory(ctx.db, input.workflow, input.state, input.field)),
  /** A certificate with its evidence (the trade-off curve). */
  certificate: requirePermission('metrics:read')
    .input(z.object({ certificateId: uuid }))
    .query(({ ctx, input }) => getCertificate(ctx.db, input.certificateId)),
  /** Certifies a state's threshold on its fair labels; with `apply`, puts the certificate in force. */
  certify: requirePermission('policy:manage')
    .input(certifyInput)
    .mutation(({ ctx, input }) =>
      certifyState(ctx.db, {
        workflow: input.workflow,
        state: input.state,
        field: input.field,
        key: {
          modelVersion: input.modelVersion,
          confidenceMethod: input.confidenceMethod,
          promptVersion: input.promptVersion,
        },
        window: { from: input.from, to: input.to },
        apply: input.apply,
        ...(input.reason ? { reason: input.reason } : {}),
        actor: actorOf(ctx.user),
      }),
    ),
  /** Puts a stored certificate in force (an audited policy change, with the caller's reason). */
  applyCertificate: requirePermission('policy:manage')
    .input(applyCertificateInput)
    .mutation(({ ctx, input }) => applyCertificate(ctx.db, input.certificateId, actorOf(ctx.user), input.reason)),
  pause: requirePermission('policy:manage')
    .input(policyChangeInput)
    .mutation(({ ctx, input }) =>
      ctx.db
        .transaction()
        .execute((trx) =>
          pausePolicy(
            trx,
            input.workflow,
            input.state,
            `paused by a person: ${input.reason}`,
            actorOf(ctx.user),
            {},
            input.field,
          ),
        ),
    ),
  resume: requirePermission('policy:manage')
    .input(policyChangeInput)
    .mutation(({ ctx, input }) =>
      resumePolicy(ctx.db, input.workflow, input.state, input.reason, actorOf(ctx.user), input.field),
    ),
});

const examples = router({
  /** Loads labelled examples an agent's built-in model trains on; each is checked on its own. */
  import: requirePermission('example:import')
    .input(
      z.object({
        agent: z.string().trim().min(1, 'Name the agent'),
        examples: z.array(z.unknown()).min(1, 'Give at least one example').max(5000, 'At most 5,000 examples per call'),
      }),
    )
    .mutation(({ ctx, input }) => importExamples(ctx.db, input.agent, input.examples, actorOf(ctx.user))),
});

const labels = router({
  /** Settles a decision's label by adjudication; it outranks single verdicts. */
  adjudicate: requirePermission('label:adjudicate')
    .input(adjudicateInput)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute((trx) => adjudicateDecision(trx, ctx, ctx.user.id, input)),
    ),
});

export const appRouter = router({
  auth,
  tasks,
  items,
  audit: auditRouter,
  models,
  trust,
  labels,
  examples,
  users: usersRouter,
  queues: queuesRouter,
  apiKeys: apiKeysRouter,
  dashboards,
  datasets: datasetsRouter,
  leads: leadsRouter,
  pii: piiRouter,
  decisions: decisionsRouter,
  retention: retentionRouter,
  policies: policiesRouter,
  trail: trailRouter,
});

/** All the console imports from the server: a type. */
export type AppRouter = typeof appRouter;
