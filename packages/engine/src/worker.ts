import { type CalibrationSource, createCalibrationSource, type DecisionProvider } from '@signoff/ai';
import type { RetentionSetting } from '@signoff/core';
import type { DB } from '@signoff/db';
import { purgeExpired } from '@signoff/governance';
import { createPolicySource, evaluateDriftGuards, type PolicySource } from '@signoff/trust';
import type { Kysely } from 'kysely';
import { type Job, type JobResult, PgBoss } from 'pg-boss';
import { type EscalationOptions, escalateOverdue } from './escalation';
import { executeJobs } from './execute-step';
import type { FaultHook } from './faults';
import { type ParsedStepJob, STEP_QUEUE, type StepJob, stepJob } from './queue';
import type { WorkflowRegistry } from './registry';
import { commitTransitions, type TransitionDeps } from './transitions';

export interface BossOptions {
  /** Connections pg-boss may hold in this process. */
  max?: number;
  applicationName?: string;
  /**
   * How often pg-boss's supervisor looks for jobs whose worker died (stale heartbeat, expired).
   * With the step queue's heartbeat this bounds how long a crashed worker's jobs wait.
   */
  superviseIntervalSeconds?: number;
  /**
   * Work as this database role (`SET ROLE` at connection start, see `createDb`). pg-boss then
   * neither installs nor migrates its schema, nor rebuilds its indexes: the owner does (see
   * `installJobSchema` in apps/server).
   */
  role?: string;
}

/** pg-boss on the same database, in its own `pgboss` schema, with LISTEN/NOTIFY wake-ups. */
export function createBoss(connectionString: string, options: BossOptions = {}): PgBoss {
  const boss = new PgBoss({
    connectionString,
    schema: 'pgboss',
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'signoff-boss',
    useListenNotify: true,
    superviseIntervalSeconds: options.superviseIntervalSeconds ?? 15,
    ...(options.role ? { options: `-c role=${options.role}`, migrate: false, reindex: false } : {}),
  });
  return boss;
}

/**
 * The step queue. A job of a worker that died (no heartbeat for `heartbeatSeconds`) is retried;
 * infrastructure errors (the database went away) are retried with back-off; the last failure marks
 * the item failed. State errors never reach this level: the engine's retry policies handle them.
 */
export const STEP_QUEUE_OPTIONS = {
  retryLimit: 8,
  retryDelay: 1,
  retryBackoff: true,
  retryDelayMax: 60,
  expireInSeconds: 900,
  heartbeatSeconds: 30,
  notify: true,
} as const;

export interface QueueSettings {
  /** Seconds without a heartbeat after which a job's worker counts as dead (>= 10). */
  heartbeatSeconds?: number;
}

/** The escalation sweep's queue: one job a minute, cluster-wide (a pg-boss schedule). */
export const ESCALATION_QUEUE = 'signoff-escalate';

/** The retention purge's queue: a pg-boss schedule (hourly by default), one job at a time cluster-wide. */
export const RETENTION_QUEUE = 'signoff-retention';

export interface RetentionWorkerOptions {
  /** The server's default retention (SIGNOFF_RETENTION_DAYS), for workflows without their own. */
  fallback: RetentionSetting | null;
  /** Cron expression (UTC), or `off` to purge only by hand (`signoff retention purge`). */
  schedule: string;
  batchSize?: number;
}

export async function ensureQueues(boss: PgBoss, settings: QueueSettings = {}): Promise<void> {
  const step = {
    ...STEP_QUEUE_OPTIONS,
    ...(settings.heartbeatSeconds ? { heartbeatSeconds: settings.heartbeatSeconds } : {}),
  };
  const existing = await boss.getQueue(STEP_QUEUE);
  if (!existing) await boss.createQueue(STEP_QUEUE, step);
  else if (existing.heartbeatSeconds !== step.heartbeatSeconds)
    await boss.updateQueue(STEP_QUEUE, { heartbeatSeconds: step.heartbeatSeconds });
  if (!(await boss.getQueue(ESCALATION_QUEUE)))
    await boss.createQueue(ESCALATION_QUEUE, { retryLimit: 1, expireInSeconds: 120, policy: 'singleton' });
  if (!(await boss.getQueue(RETENTION_QUEUE)))
    await boss.createQueue(RETENTION_QUEUE, { retryLimit: 2, expireInSeconds: 3600, policy: 'singleton' });
}

export interface WorkerOptions {
  db: Kysely<DB>;
  boss: PgBoss;
  registry: WorkflowRegistry;
  provider: DecisionProvider;
  /** Jobs fetched per poll. */
  batchSize?: number;
  /** Independent fetch loops in this process. */
  concurrency?: number;
  onError?: (error: unknown, job: StepJob) => void;
  /** Run the escalation sweep every minute (default on). */
  escalation?: boolean | EscalationOptions;
  queue?: QueueSettings;
  /** Test-only crash injection (see `FaultPoint`). */
  faults?: FaultHook;
  /** Active calibrators (default: read from the database, cached 30 s). */
  calibration?: CalibrationSource;
  /** Policies and certificates in force (default: read from the database, cached 2 s). */
  policies?: PolicySource;
  /** Told of the transitions the workers commit, e.g. to count them for `/metrics`. */
  onCommitted?: TransitionDeps['onCommitted'];
  /** The scheduled retention purge (default: hourly, workflows' own periods only); false: none here. */
  retention?: RetentionWorkerOptions | false;
}

/**
 * Starts this process's step workers. A job whose state throws is retried (pg-boss back-off); on its
 * last attempt the item is marked `failed` with the error, so nothing is silently dropped.
 */
export async function startWorkers(opts: WorkerOptions): Promise<string> {
  await ensureQueues(opts.boss, opts.queue);
  const deps = {
    db: opts.db,
    boss: opts.boss,
    registry: opts.registry,
    provider: opts.provider,
    calibration: opts.calibration ?? createCalibrationSource(),
    policies: opts.policies ?? createPolicySource(),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.onCommitted ? { onCommitted: opts.onCommitted } : {}),
  };
  if (opts.escalation !== false) {
    const options = typeof opts.escalation === 'object' ? opts.escalation : {};
    await opts.boss.schedule(ESCALATION_QUEUE, '* * * * *');
    await opts.boss.work(ESCALATION_QUEUE, async () => {
      const r = await opts.db.transaction().execute((trx) => escalateOverdue(trx, deps, options));
      // The drift guards too: audit samples labelled since the last minute may pause an auto-accept.
      const guards = await evaluateDriftGuards(opts.db);
      return { ...r, guardsAlarmed: guards.filter((g) => g.alarmed).length };
    });
  }
  if (opts.retention !== false) await startRetention(opts.db, opts.boss, opts.retention);
  return opts.boss.work(
    STEP_QUEUE,
    {
      batchSize: opts.batchSize ?? 10,
      localConcurrency: opts.concurrency ?? 2,
      pollingIntervalSeconds: 0.5,
      // NOTIFY fires when a job is inserted, not when a delayed one (retry back-off, timer, deadline)
      // becomes due: without this, due jobs would wait for pg-boss's 30 s notify-mode poll.
      notifyPollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
      // The short form of a job carries its retry count; its retry limit is the queue's.
      perJobResults: true,
    },
    async (jobs: Job<unknown>[]): Promise<JobResult[]> => {
      const parsed = jobs.map((job) => ({ job, data: stepJob.safeParse(job.data) }));
      const valid = parsed.filter((p) => p.data.success);
      const outcomes = await executeJobs(
        deps,
        valid.map((p) => p.data.data as ParsedStepJob),
      );
      const byId = new Map(valid.map((p, i) => [p.job.id, outcomes[i]]));
      return Promise.all(
        parsed.map(async ({ job, data }): Promise<JobResult> => {
          if (!data.success) return { id: job.id, status: 'deadletter', output: { error: 'malformed step job' } };
          const outcome = byId.get(job.id);
          if (!outcome || outcome.ok) return { id: job.id, status: 'completed' };
          opts.onError?.(outcome.error, data.data);
          const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
          // Errors of our own (the database) are retried by pg-boss; after the last, the item fails visibly.
          if ((job as Job<unknown> & { retryCount: number }).retryCount >= STEP_QUEUE_OPTIONS.retryLimit) {
            const [failed] = await commitTransitions(opts.db, deps, [
              { itemId: data.data.itemId, outcome: { kind: 'job-failed', job: data.data, message } },
            ]);
            if (failed?.ok) return { id: job.id, status: 'completed' };
          }
          return { id: job.id, status: 'failed', output: { error: message } };
        }),
      );
    },
  );
}

/**
 * Schedules the retention purge (or removes the schedule when it is `off`) and works its jobs: a
 * singleton queue, so with many workers one purge runs at a time, and the purge itself skips rows
 * another holds (SKIP LOCKED) should a CLI purge run meanwhile.
 */
async function startRetention(db: Kysely<DB>, boss: PgBoss, options?: RetentionWorkerOptions): Promise<void> {
  const o = options ?? { fallback: null, schedule: '0 * * * *' };
  if (o.schedule === 'off') {
    await boss.unschedule(RETENTION_QUEUE);
    return;
  }
  await boss.schedule(RETENTION_QUEUE, o.schedule);
  await boss.work(RETENTION_QUEUE, async () => {
    const r = await purgeExpired(db, {
      fallback: o.fallback,
      trigger: 'schedule',
      ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    });
    return { purged: r.workflows.reduce((n, w) => n + w.items, 0) };
  });
}
