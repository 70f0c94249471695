import type { DecisionProvider } from '@signoff/ai';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { type JobResult, type JobWithMetadata, PgBoss } from 'pg-boss';
import { executeStep } from './execute-step';
import { STEP_QUEUE, type StepJob, stepJob } from './queue';
import type { WorkflowRegistry } from './registry';
import { failItem } from './transition';

export interface BossOptions {
  /** Connections pg-boss may hold in this process. */
  max?: number;
  applicationName?: string;
}

/** pg-boss on the same database, in its own `pgboss` schema, with LISTEN/NOTIFY wake-ups. */
export function createBoss(connectionString: string, options: BossOptions = {}): PgBoss {
  const boss = new PgBoss({
    connectionString,
    schema: 'pgboss',
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'signoff-boss',
    useListenNotify: true,
  });
  return boss;
}

/** Step jobs are retried with exponential back-off; the last failure marks the item failed. */
export const STEP_QUEUE_OPTIONS = {
  retryLimit: 4,
  retryDelay: 1,
  retryBackoff: true,
  retryDelayMax: 60,
  expireInSeconds: 300,
  notify: true,
} as const;

export async function ensureQueues(boss: PgBoss): Promise<void> {
  const existing = await boss.getQueue(STEP_QUEUE);
  if (!existing) await boss.createQueue(STEP_QUEUE, STEP_QUEUE_OPTIONS);
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
}

/**
 * Starts this process's step workers. A job whose state throws is retried (pg-boss back-off); on its
 * last attempt the item is marked `failed` with the error, so nothing is silently dropped.
 */
export async function startWorkers(opts: WorkerOptions): Promise<string> {
  await ensureQueues(opts.boss);
  const deps = { db: opts.db, boss: opts.boss, registry: opts.registry, provider: opts.provider };
  return opts.boss.work(
    STEP_QUEUE,
    {
      batchSize: opts.batchSize ?? 10,
      localConcurrency: opts.concurrency ?? 2,
      pollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
      includeMetadata: true,
      perJobResults: true,
    },
    async (jobs: JobWithMetadata<unknown>[]) =>
      Promise.all(
        jobs.map(async (job): Promise<JobResult> => {
          const data = stepJob.safeParse(job.data);
          if (!data.success) return { id: job.id, status: 'deadletter', output: { error: 'malformed step job' } };
          try {
            await executeStep(deps, data.data, job.retryCount + 1);
            return { id: job.id, status: 'completed' };
          } catch (error) {
            opts.onError?.(error, data.data);
            if (job.retryCount >= job.retryLimit) {
              const message = error instanceof Error ? error.message : String(error);
              await opts.db.transaction().execute((trx) => failItem(trx, data.data, { message }));
              return { id: job.id, status: 'completed' };
            }
            return {
              id: job.id,
              status: 'failed',
              output: { error: error instanceof Error ? error.message : String(error) },
            };
          }
        }),
      ),
  );
}
