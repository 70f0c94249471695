// The series read from the database at scrape time. They describe the whole installation, so every
// process that serves /metrics reports the same values: aggregate them with max(), not sum().
import type { DB } from '@signoff/db';
import { STEP_QUEUE } from '@signoff/engine';
import { type Kysely, sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { completedTasksSql, itemCountsSql, openTaskCountsSql, policyFactsSql } from './database-sql';

/** Seconds from a review task's creation to its verdict: a minute to a few days. */
export const REVIEW_LATENCY_BUCKETS = [
  10,
  30,
  60,
  300,
  900,
  1800,
  3600,
  4 * 3600,
  12 * 3600,
  86400,
  3 * 86400,
  7 * 86400,
];

export interface DatabaseMetricsOptions {
  /**
   * Review tasks completed less than this many seconds ago wait for the next scrape, so that a
   * verdict committed a moment late is not skipped. Default 2.
   */
  completionLagSeconds?: number;
  /** A scrape's database queries are cancelled after this long. Default 5000 ms. */
  statementTimeoutMs?: number;
  /** Review tasks completed before this moment are not counted. Default: now (this process's start). */
  since?: Date;
}

/** Where the cluster series are read: the database, and pg-boss for the step queue's counts. */
export interface ScrapeSource {
  db: Kysely<DB>;
  boss?: PgBoss | undefined;
}

export interface DatabaseMetrics {
  /** Reads the database into the series; on failure they are left out and `signoff_database_up` is 0. */
  collect(source: ScrapeSource): Promise<void>;
}

/**
 * Registers the cluster series on `registry`; `collect` fills them, one scrape at a time.
 *
 * @example
 * const dbm = databaseMetrics(registry);
 * await dbm.collect({ db, boss });
 * const text = await registry.metrics();
 */
export function databaseMetrics(registry: Registry, options: DatabaseMetricsOptions = {}): DatabaseMetrics {
  const registers = [registry];
  const lag = options.completionLagSeconds ?? 2;
  const timeoutMs = Math.max(1, Math.round(options.statementTimeoutMs ?? 5000));
  let position = { at: (options.since ?? new Date()).toISOString(), id: '00000000-0000-0000-0000-000000000000' };

  const up = new Gauge({
    name: 'signoff_database_up',
    help: 'Whether the last scrape could read the database (1) or not (0: the series read from it are left out).',
    registers,
  });
  const items = new Gauge({
    name: 'signoff_items',
    help: 'Items by workflow, status (running, waiting, succeeded, rejected, failed) and current state (the final state of a finished item).',
    labelNames: ['workflow', 'status', 'state'],
    registers,
  });
  const tasks = new Gauge({
    name: 'signoff_review_tasks',
    help: 'Open review tasks (the queue depth) by queue, kind (decision, review, qa, stuck) and status (pending, claimed).',
    labelNames: ['queue', 'kind', 'status'],
    registers,
  });
  const oldest = new Gauge({
    name: 'signoff_review_task_oldest_pending_seconds',
    help: 'Age of the oldest pending (unclaimed) review task of a queue, in seconds.',
    labelNames: ['queue'],
    registers,
  });
  const latency = new Histogram({
    name: 'signoff_review_task_latency_seconds',
    help: 'Seconds from a review task’s creation to its completion, by queue and kind; tasks completed since this process started.',
    labelNames: ['queue', 'kind'],
    buckets: REVIEW_LATENCY_BUCKETS,
    registers,
  });
  const paused = new Gauge({
    name: 'signoff_auto_accept_paused',
    help: 'Whether the auto-accept policy in force of a certified state is paused (1) or not (0).',
    labelNames: ['workflow', 'state'],
    registers,
  });
  const pauses = new Counter({
    name: 'signoff_auto_accept_pauses_total',
    help: 'Times auto-accept of a certified state was paused, by who paused it (drift_guard, person).',
    labelNames: ['workflow', 'state', 'by'],
    registers,
  });
  const alarms = new Counter({
    name: 'signoff_drift_guard_alarms_total',
    help: 'Drift guards of a certified state that reached their alarm level (each pauses auto-accept).',
    labelNames: ['workflow', 'state'],
    registers,
  });
  const evidence = new Gauge({
    name: 'signoff_drift_guard_evidence_ratio',
    help: 'The drift guard of the certificate in force: its e-value over its alarm level (1/delta); at 1 auto-accept pauses.',
    labelNames: ['workflow', 'state'],
    registers,
  });
  const jobs = new Gauge({
    name: 'signoff_step_jobs',
    help: 'Jobs of the step queue by state (ready, deferred: waiting for a back-off, timer or breaker; active; failed: retained), as pg-boss last counted them.',
    labelNames: ['state'],
    registers,
  });
  const gauges = [items, tasks, oldest, paused, pauses, alarms, evidence, jobs];

  async function read({ db, boss }: ScrapeSource) {
    // pg-boss keeps these counts up to date in its own monitor: one row read, no count here.
    const queue = boss ? await boss.getQueue(STEP_QUEUE) : null;
    const facts = await db.transaction().execute(async (trx) => {
      await sql`SET TRANSACTION READ ONLY`.execute(trx);
      await sql`SELECT set_config('statement_timeout', ${String(timeoutMs)}, true)`.execute(trx);
      const [itemRows, taskRows, policyRows] = [
        (await itemCountsSql().execute(trx)).rows,
        (await openTaskCountsSql().execute(trx)).rows,
        (await policyFactsSql().execute(trx)).rows,
      ];
      const completed: { queue: string; kind: string; seconds: number; at: string; id: string }[] = [];
      let after = position;
      for (;;) {
        const page = (await completedTasksSql(after, lag, 5000).execute(trx)).rows;
        completed.push(...page);
        const last = page.at(-1);
        if (!last || page.length < 5000) break;
        after = { at: last.at, id: last.id };
      }
      return { itemRows, taskRows, policyRows, completed };
    });
    return { ...facts, queue };
  }

  let running: Promise<void> | undefined;
  async function collectOnce(source: ScrapeSource) {
    let facts: Awaited<ReturnType<typeof read>>;
    try {
      facts = await read(source);
    } catch {
      for (const g of gauges) g.reset();
      up.set(0);
      return;
    }
    for (const g of gauges) g.reset();
    up.set(1);
    for (const r of facts.itemRows) items.set({ workflow: r.workflow, status: r.status, state: r.state }, r.n);
    const oldestPending = new Map<string, number>();
    for (const r of facts.taskRows) {
      tasks.set({ queue: r.queue, kind: r.kind, status: r.status }, r.n);
      if (r.status === 'pending')
        oldestPending.set(r.queue, Math.max(oldestPending.get(r.queue) ?? 0, r.oldest_seconds));
    }
    for (const [queue, seconds] of oldestPending) oldest.set({ queue }, seconds);
    for (const r of facts.policyRows) {
      const labels = { workflow: r.workflow, state: r.state };
      paused.set(labels, r.paused ? 1 : 0);
      pauses.inc({ ...labels, by: 'drift_guard' }, r.guard_pauses);
      pauses.inc({ ...labels, by: 'person' }, r.manual_pauses);
      alarms.inc(labels, r.alarms);
      if (r.evidence !== null && Number.isFinite(r.evidence)) evidence.set(labels, r.evidence);
    }
    if (facts.queue) {
      const q = facts.queue;
      for (const [state, n] of [
        ['ready', q.readyCount],
        ['deferred', q.deferredCount],
        ['active', q.activeCount],
        ['failed', q.failedCount],
      ] as const)
        if (Number.isFinite(n)) jobs.set({ state }, n);
    }
    for (const t of facts.completed) latency.observe({ queue: t.queue, kind: t.kind }, Math.max(0, t.seconds));
    const last = facts.completed.at(-1);
    if (last) position = { at: last.at, id: last.id };
  }

  return {
    // Scrapes that overlap share one read: the histogram's position moves once per read.
    collect(source) {
      running ??= collectOnce(source).finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
