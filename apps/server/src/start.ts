import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalProvider, routeProviders, selectProvider, withCircuitBreaker } from '@signoff/ai';
import type { WorkflowDefinition } from '@signoff/core';
import { createDb, type DB, migrateToLatest, startEmbeddedPostgres } from '@signoff/db';
import {
  createBoss,
  ensureQueues,
  type FaultHook,
  type FaultPoint,
  startWorkers,
  WorkflowRegistry,
} from '@signoff/engine';
import {
  activateConfiguredPiiPatterns,
  createCheckpoint,
  loadPiiPatternsFromEnv,
  retentionDefaultOf,
  setActivePiiPatterns,
} from '@signoff/governance';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { ensureCheckpointQueue, startCheckpointSchedule } from './audit/checkpoint-job';
import { createSigningKeyFile, demoKeyPath, type LoadedSigner, loadAuditSigner } from './audit/signing-key';
import { registerDemoPolicyHistory, supportTriage } from './demo';
import type { ServerEnv } from './env';
import { createHttpApp } from './http';
import { listenHttp } from './listen';
import { metricsAccess } from './metrics/metrics-access';
import { metricsHandler } from './metrics/metrics-route';
import { createSignoffMetrics, type SignoffMetrics } from './metrics/signoff-metrics';
import { seedDemo, seedExamples } from './seed';
import { WORKFLOWS } from './workflows';

export const CONSOLE_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

export interface StartOptions {
  env: ServerEnv;
  /** Serve HTTP (API and console). */
  api?: boolean;
  /** Run step workers in this process. */
  workers?: boolean;
  /** Seed demo users and this many demo items (0: users and examples only; undefined: no demo). */
  demoItems?: number;
  /** Vendor-onboarding submissions of the demo (default: `DEMO_VENDOR_ITEMS`, at most `demoItems`). */
  demoVendorItems?: number;
  /**
   * Without a configured audit signing key, create one in the data dir (`audit-signing-key.pem`)
   * and use it: for `signoff start --demo` only.
   */
  demoSigningKey?: boolean;
  /** With the demo: import this many days of past work for the dashboards (see `seedSupportHistory`). */
  demoHistoryDays?: number;
  workflows?: WorkflowDefinition[];
  log?: (message: string) => void;
  /**
   * Called when the embedded PostgreSQL died and could not be restarted. Default: log and exit
   * the process with code 1, so that an outside supervisor (systemd, Kubernetes) restarts it.
   */
  onDatabaseLost?: (error: Error) => void;
}

export interface RunningSignoff {
  /** Base URL of the HTTP server, when `api` is on. */
  url: string | null;
  /** Where `/metrics` is served (the API's URL, or SIGNOFF_METRICS_PORT's listener), if anywhere. */
  metricsUrl: string | null;
  /** This process's metrics registry and hooks. */
  metrics: SignoffMetrics;
  databaseUrl: string;
  db: Kysely<DB>;
  boss: PgBoss;
  registry: WorkflowRegistry;
  /** The audit signing key in use, and where it came from; null without one (no checkpoints). */
  auditSigning: (LoadedSigner & { created: boolean }) | null;
  /** The database role the pools work as (SIGNOFF_DATABASE_ROLE), or null for the connecting user's own. */
  databaseRole: string | null;
  stop(): Promise<void>;
}

/**
 * Installs (or migrates) pg-boss's schema and creates the queues as the connecting user, for a
 * server that then works as a role that may not change the schema.
 */
export async function installJobSchema(
  databaseUrl: string,
  env: Pick<ServerEnv, 'SIGNOFF_STEP_HEARTBEAT_SECONDS'>,
): Promise<void> {
  const installer = createBoss(databaseUrl, { max: 2, applicationName: 'signoff-migrate' });
  installer.on('error', () => undefined);
  await installer.start();
  try {
    await ensureQueues(installer, { heartbeatSeconds: env.SIGNOFF_STEP_HEARTBEAT_SECONDS });
    await ensureCheckpointQueue(installer);
  } finally {
    await installer.stop({ graceful: false, close: true });
  }
}

/** A fault hook that kills this process outright the N-th time it reaches the named point. */
function crashAt(spec: string, log: (m: string) => void): FaultHook {
  const [point, n] = spec.split('@') as [FaultPoint, string];
  let seen = 0;
  return (p) => {
    if (p === point && ++seen === Number(n)) {
      log(`test fault: SIGKILL at ${point} #${n}`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
}

/**
 * Starts Signoff in this process: the database (embedded unless DATABASE_URL is set), migrations,
 * the workflows, optionally the demo data, the workers and the HTTP server.
 *
 * @example
 * const s = await startSignoff({ env: readEnv(), api: true, workers: true, demoItems: 300 });
 * console.log(`open ${s.url}`);
 */
export async function startSignoff(options: StartOptions): Promise<RunningSignoff> {
  const log = options.log ?? (() => undefined);
  const { env } = options;
  // Stopped in the reverse order of starting: the API (no new work), the workers (their jobs
  // finish), the pools, and the embedded database last, when nothing uses it any more.
  const stops: { what: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) {
      try {
        await s.stop();
        log(`stopped ${s.what}`);
      } catch (e) {
        log(`could not stop ${s.what}: ${e instanceof Error ? e.message : e}`);
      }
    }
  };
  try {
    // Before anything starts: a bad pattern is an error naming it, not a server that masks less.
    const piiPatterns = loadPiiPatternsFromEnv({
      SIGNOFF_PII_PATTERNS: env.SIGNOFF_PII_PATTERNS,
      SIGNOFF_PII_PATTERNS_FILE: env.SIGNOFF_PII_PATTERNS_FILE,
    });
    setActivePiiPatterns('env', piiPatterns);
    if (piiPatterns.length > 0) log(`PII patterns: ${piiPatterns.map((p) => p.name).join(', ')}`);
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      const dataDir = resolve(env.SIGNOFF_DATA_DIR, 'pg');
      log(`starting embedded PostgreSQL in ${dataDir}`);
      const onDatabaseLost =
        options.onDatabaseLost ??
        ((e: Error) => {
          log(`${e.message}; exiting`);
          process.exit(1);
        });
      const pg = await startEmbeddedPostgres({
        dataDir,
        database: 'signoff',
        supervise: { log, maxTries: env.SIGNOFF_EMBEDDED_PG_RESTART_TRIES, onGiveUp: onDatabaseLost },
      });
      if (!pg.started) log(`joined the embedded PostgreSQL already running in ${dataDir}; it is left running on stop`);
      stops.push({
        what: pg.started ? 'embedded PostgreSQL' : 'using the embedded PostgreSQL (left running)',
        stop: pg.stop,
      });
      databaseUrl = pg.url;
    }
    // Migrations and pg-boss's schema are schema changes: made as the connecting (owner) user.
    // Everything after runs as the application role, which cannot change or remove audit rows.
    const role = env.SIGNOFF_DATABASE_ROLE === 'none' ? null : env.SIGNOFF_DATABASE_ROLE;
    const owner = createDb(databaseUrl, { max: 2, applicationName: 'signoff-migrate' });
    try {
      const { error, results } = await migrateToLatest(owner);
      for (const r of results ?? []) log(`migration ${r.migrationName}: ${r.status}`);
      if (error) throw new Error('Database migration failed', { cause: error });
      // Patterns of workflow versions other processes registered mask here too.
      await activateConfiguredPiiPatterns(owner, {
        SIGNOFF_PII_PATTERNS: env.SIGNOFF_PII_PATTERNS,
        SIGNOFF_PII_PATTERNS_FILE: env.SIGNOFF_PII_PATTERNS_FILE,
      });
      if (role) await installJobSchema(databaseUrl, env);
    } finally {
      await owner.destroy();
    }
    const db = createDb(databaseUrl, { max: 20, applicationName: 'signoff', ...(role ? { role } : {}) });
    stops.push({ what: 'database pool', stop: () => db.destroy() });

    const boss = createBoss(databaseUrl, {
      max: 10,
      superviseIntervalSeconds: env.SIGNOFF_SUPERVISE_SECONDS,
      ...(role ? { role } : {}),
    });
    boss.on('error', (e) => log(`pg-boss: ${e instanceof Error ? e.message : String(e)}`));
    await boss.start();
    stops.push({
      // pg-boss runs the workers (when this process has them) and holds the job queue's pool.
      what: options.workers ? 'workers' : 'job queue',
      stop: () => boss.stop({ graceful: true, timeout: 10_000, close: true }),
    });
    if (!role) {
      await ensureQueues(boss, { heartbeatSeconds: env.SIGNOFF_STEP_HEARTBEAT_SECONDS });
      await ensureCheckpointQueue(boss);
    }

    // The audit signing key; the demo makes one in the data dir when none is configured.
    let auditSigning: RunningSignoff['auditSigning'] = null;
    const configured = loadAuditSigner(env);
    if (configured) auditSigning = { ...configured, created: false };
    else if (options.demoSigningKey) {
      const made = createSigningKeyFile(demoKeyPath(env.SIGNOFF_DATA_DIR));
      const loaded = loadAuditSigner(env);
      if (loaded) auditSigning = { ...loaded, created: made.created };
    }
    if (auditSigning)
      log(`audit signing key ${auditSigning.signer.fingerprint.slice(0, 16)}… from ${auditSigning.source}`);
    else
      log('no audit signing key (SIGNOFF_AUDIT_SIGNING_KEY or SIGNOFF_AUDIT_SIGNING_KEY_FILE): no audit checkpoints');

    const registry = new WorkflowRegistry({ deployedBy: env.SIGNOFF_DEPLOYED_BY });
    // The demo's past includes an earlier version of its workflow, for the policy history.
    if (options.demoHistoryDays && (options.workflows ?? WORKFLOWS).includes(supportTriage))
      if (await registerDemoPolicyHistory(db, registry)) log('demo: registered the first version of support-triage');
    for (const wf of options.workflows ?? WORKFLOWS) {
      const r = await registry.register(db, wf);
      log(`workflow ${wf.name} v${r.version}${r.created ? ' (new version)' : ''}`);
    }
    await seedExamples(db);
    if (options.demoItems !== undefined) {
      const { submitted, history } = await seedDemo(
        db,
        { registry, boss },
        {
          items: options.demoItems,
          ...(options.demoVendorItems !== undefined ? { vendorItems: options.demoVendorItems } : {}),
          ...(options.demoHistoryDays ? { historyDays: options.demoHistoryDays } : {}),
          onProgress: (done, total) => log(`demo items ${done}/${total}`),
        },
      );
      if (history > 0)
        log(`demo: imported ${history} items of past work (${options.demoHistoryDays} days) for the dashboards`);
      log(`demo: ${submitted} new items submitted`);
    }
    // The demo shows a signed checkpoint at once, not after the schedule's first tick.
    if (auditSigning && options.demoSigningKey) {
      const made = await createCheckpoint(db, auditSigning.signer);
      if (made) log(`audit checkpoint ${made.seq}: ${made.leafCount} streams`);
    }

    const metrics = createSignoffMetrics();
    const access = metricsAccess(env);
    if (!access.enabled && env.SIGNOFF_METRICS === 'auto')
      log(
        `/metrics is off: HOST ${env.HOST} is reachable from the network and SIGNOFF_METRICS_TOKEN is not set (or set SIGNOFF_METRICS=on)`,
      );

    // One OpenAI-compatible provider instance for workers and the API's probe: what one learns
    // about the endpoint, the other knows.
    const selected = selectProvider(env);
    const probeModel = 'probe' in selected ? (model: string | undefined) => selected.probe(db, model) : undefined;
    if (options.workers) {
      // Each agent may name its provider; the built-in model is always there, the endpoint when configured.
      // A remote endpoint that keeps failing is left alone for a while instead of being hammered.
      // Counted outside the breaker, so that its refusals count as errors of kind circuit_open.
      const local = metrics.observeProvider(selected.name === 'local' ? selected : createLocalProvider());
      const openai =
        selected.name === 'openai'
          ? metrics.observeProvider(
              withCircuitBreaker(selected, {
                onStateChange: (state, why) => {
                  log(`AI endpoint circuit ${state}: ${why}`);
                  metrics.breakerChanged('openai', state);
                },
              }),
            )
          : undefined;
      if (openai) metrics.breakerChanged('openai', 'closed', { initial: true });
      const provider = routeProviders({ local, ...(openai ? { openai } : {}) }, selected.name);
      log(`AI provider: ${provider.name}`);
      await startWorkers({
        db,
        boss,
        registry,
        provider,
        concurrency: env.SIGNOFF_WORKER_CONCURRENCY,
        batchSize: env.SIGNOFF_WORKER_BATCH_SIZE,
        queue: { heartbeatSeconds: env.SIGNOFF_STEP_HEARTBEAT_SECONDS },
        ...(env.SIGNOFF_TEST_CRASH_AT ? { faults: crashAt(env.SIGNOFF_TEST_CRASH_AT, log) } : {}),
        onError: (e, job) => log(`step ${job.state} of ${job.itemId} failed: ${e instanceof Error ? e.message : e}`),
        onCommitted: metrics.onCommitted,
        retention: { fallback: retentionDefaultOf(env), schedule: env.SIGNOFF_RETENTION_SCHEDULE },
      });
      if (auditSigning)
        await startCheckpointSchedule({
          boss,
          db,
          signer: auditSigning.signer,
          cron: env.SIGNOFF_AUDIT_CHECKPOINT_CRON,
          log,
        });
    }

    let url: string | null = null;
    let metricsUrl: string | null = null;
    const ownPort = env.SIGNOFF_METRICS_PORT !== undefined;
    if (options.api) {
      const app = createHttpApp(
        {
          db,
          boss,
          registry,
          auditSigner: auditSigning?.signer ?? null,
          retentionDefault: retentionDefaultOf(env),
          ...(probeModel ? { probeModel } : {}),
        },
        {
          consoleDir: CONSOLE_DIR,
          trustProxy: env.SIGNOFF_TRUST_PROXY,
          trpcMaxBodyBytes: env.SIGNOFF_TRPC_MAX_BODY_BYTES,
          ...(ownPort ? {} : { metrics: { metrics, access } }),
        },
      );
      const server = await listenHttp(app.fetch, { port: env.PORT, hostname: env.HOST });
      stops.push({ what: 'API', stop: server.close });
      url = server.url;
      if (!ownPort && access.enabled) metricsUrl = `${server.url}/metrics`;
    }
    if (ownPort && access.enabled) {
      // A listener for /metrics alone: a workers-only process has no API to serve it on.
      const app = new Hono();
      app.get('/metrics', metricsHandler({ db, boss }, metrics, access));
      const server = await listenHttp(app.fetch, { port: env.SIGNOFF_METRICS_PORT ?? 0, hostname: env.HOST });
      stops.push({ what: 'metrics listener', stop: server.close });
      metricsUrl = `${server.url}/metrics`;
      log(`metrics on ${metricsUrl}`);
    }
    return {
      url,
      metricsUrl,
      metrics,
      databaseUrl,
      db,
      boss,
      registry,
      auditSigning,
      databaseRole: role,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
