#!/usr/bin/env node
// `signoff`: the command line. Each command opens what it needs and closes it; exit codes are set here only.
import { fitCalibration } from '@signoff/ai';
import { exportLabels } from '@signoff/datasets';
import { migrateToLatest } from '@signoff/db';
import {
  DEMO_API_KEY,
  DEMO_PASSWORD,
  DEMO_USERS,
  installJobSchema,
  loadWorkflowModules,
  readEnv,
  startSignoff,
  WORKFLOWS,
} from '@signoff/server';
import { Command, InvalidArgumentError } from 'commander';
import { registerAuditCommands } from './commands/audit';
import { registerAuditTrailCommand } from './commands/audit-trail';
import { registerDatasetCommands } from './commands/datasets';
import { registerDecisionsCommand } from './commands/decisions';
import { registerExampleCommands } from './commands/examples';
import { registerKeysCommand } from './commands/keys';
import { registerModelsCommand } from './commands/models';
import { registerPolicyHistoryCommand } from './commands/policy-history';
import { registerQueuesCommand } from './commands/queues';
import { registerRetentionCommands } from './commands/retention';
import { registerTrainCommand } from './commands/train';
import { registerTrustCommands } from './commands/trust';
import { registerUsersCommand } from './commands/users';
import { openDatabase } from './open-database';
import { INCLUDE_PII_FLAG, prepareExport } from './pii-export';
import { formatSubmitSummary, readSubmitEnv, submitFile } from './submit';

const program = new Command()
  .name('signoff')
  .description('Human-in-the-loop review and governance for AI workflows')
  .showHelpAfterError();

function intOption(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

const log = (m: string) => console.log(`[signoff] ${m}`);

program
  .command('start')
  .description('Start Signoff: database, migrations, workers, API and console')
  .option('--demo', 'seed demo users and items')
  .option('--items <n>', 'demo items to generate', intOption('--items', 0, 100_000), 300)
  .option(
    '--history-days <n>',
    'days of past work the demo imports for the dashboards (0: none)',
    intOption('--history-days', 0, 365),
    42,
  )
  .option('--port <port>', 'HTTP port (default $PORT or 3000)', intOption('--port', 0, 65535))
  .option('--no-workers', 'do not run workers in this process (API only)')
  .option('--no-api', 'do not serve HTTP (workers only)')
  .option(
    '--workflows <modules...>',
    'TypeScript/JavaScript modules exporting workflows (default $SIGNOFF_WORKFLOWS, else the demo)',
  )
  .action(
    async (opts: {
      demo?: boolean;
      items: number;
      historyDays: number;
      port?: number;
      workers: boolean;
      api: boolean;
      workflows?: string[];
    }) => {
      // Ctrl+C (SIGINT), SIGTERM or a closed terminal (SIGHUP): stop everything, the embedded
      // database last (it runs in a session of its own, so Ctrl+C does not reach it), and exit 0.
      // Listening from the start, so that no signal finds the default handler (which kills the
      // process without stopping anything): one while starting stops once started, a repeated one
      // while stopping is ignored.
      let s: Awaited<ReturnType<typeof startSignoff>> | undefined;
      let stopRequested: NodeJS.Signals | undefined;
      let stopping = false;
      const shutdown = async (signal: NodeJS.Signals) => {
        if (!s) {
          stopRequested = signal;
          return log(`${signal}: stopping once started...`);
        }
        if (stopping) return log(`${signal}: already stopping`);
        stopping = true;
        log(`${signal}: stopping...`);
        await s.stop();
        log('stopped');
        process.exit(0);
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
      const env = readEnv();
      if (opts.port !== undefined) env.PORT = opts.port;
      const modules = opts.workflows ?? env.SIGNOFF_WORKFLOWS?.split(',').filter(Boolean) ?? [];
      // The demo workflow is always there with --demo, and when nothing else is given.
      const workflows = [
        ...(opts.demo || modules.length === 0 ? WORKFLOWS : []),
        ...(await loadWorkflowModules(modules)),
      ];
      s = await startSignoff({
        env,
        api: opts.api,
        workers: opts.workers,
        demoItems: opts.demo ? opts.items : undefined,
        demoSigningKey: opts.demo ?? false,
        ...(opts.demo && opts.historyDays > 0 ? { demoHistoryDays: opts.historyDays } : {}),
        workflows,
        log,
      });
      const lines = [
        '',
        `Signoff is running${s.url ? ` at ${s.url}` : ' (workers only)'}`,
        `database: ${redact(s.databaseUrl)}`,
        ...(s.metricsUrl ? [`metrics: ${s.metricsUrl}`] : []),
      ];
      if (opts.demo) {
        lines.push('', `Demo logins (password: ${DEMO_PASSWORD}):`);
        for (const u of DEMO_USERS) lines.push(`  ${u.role.padEnd(15)} ${u.email}`);
        lines.push('', `Ingestion API key: ${DEMO_API_KEY}`);
        if (s.url)
          lines.push(
            `  curl -X POST ${s.url}/api/v1/items -H 'authorization: Bearer ${DEMO_API_KEY}' -H 'content-type: application/json' -d '{"workflow":"support-triage","input":{...}}'`,
          );
      }
      if (s.auditSigning)
        lines.push(
          '',
          `Audit signing key: ${s.auditSigning.source}${s.auditSigning.created ? ' (created for the demo)' : ''}`,
          '  public key for auditors: signoff audit public-key; bundle: signoff audit export --out bundle.json',
        );
      else lines.push('', 'No audit signing key: no checkpoints (set SIGNOFF_AUDIT_SIGNING_KEY_FILE)');
      if (s.databaseRole) lines.push(`Database role: ${s.databaseRole} (cannot change or remove audit rows)`);
      lines.push('', 'Press Ctrl+C to stop.');
      console.log(lines.join('\n'));
      if (stopRequested) await shutdown(stopRequested);
    },
  );

program
  .command('migrate')
  .description('Apply pending database migrations')
  .action(async () => {
    const { db, close, url } = await openDatabase();
    try {
      const { error, results } = await migrateToLatest(db);
      for (const r of results ?? []) log(`${r.migrationName}: ${r.status}`);
      if (error) {
        console.error('Migration failed:', error);
        process.exitCode = 1;
      } else {
        if (!results?.length) log('already up to date');
        // pg-boss's schema and queues too: a server working as signoff_app cannot create them.
        await installJobSchema(url, readEnv());
        log('job queue schema up to date');
      }
    } finally {
      await close();
    }
  });

program
  .command('export')
  .description('Export human labels (with provenance) for training and analysis')
  .option('--format <format>', 'output format: jsonl', 'jsonl')
  .requiredOption('--out <file>', 'file to write')
  .option('--workflow <name>', 'only labels of this workflow')
  .option('--agent <name>', 'only labels of this agent')
  .option(...INCLUDE_PII_FLAG)
  .action(async (opts: { format: string; out: string; workflow?: string; agent?: string; includePii?: boolean }) => {
    if (opts.format !== 'jsonl') throw new InvalidArgumentError(`--format must be "jsonl" (got "${opts.format}")`);
    const { db, close } = await openDatabase();
    try {
      const filter = {
        ...(opts.workflow ? { workflow: opts.workflow } : {}),
        ...(opts.agent ? { agent: opts.agent } : {}),
      };
      const includePii = opts.includePii === true;
      await prepareExport(db, includePii, { command: 'export', format: 'jsonl', out: opts.out, ...filter });
      const { count, path } = await exportLabels(db, {
        includePii,
        format: 'jsonl',
        out: opts.out,
        filter,
        onProgress: (n) => process.stderr.write(`\r${n} labels`),
      });
      process.stderr.write('\n');
      log(`wrote ${count} labels to ${path}`);
    } finally {
      await close();
    }
  });

program
  .command('calibrate')
  .description(
    "Fit a confidence calibrator from the human labels of an agent's model version, confidence method and prompt version",
  )
  .requiredOption('--agent <name>', 'the agent whose decisions to calibrate')
  .option('--model-version <version>', "default: the newest label's")
  .option(
    '--confidence-method <method>',
    "logprobs, self-consistency, verbalized or posterior; default: the newest label's",
  )
  .option('--prompt-version <version>', "default: the newest label's")
  .option('--method <method>', 'isotonic or platt', 'isotonic')
  .option('--min-labels <n>', 'refuse with fewer labels', intOption('--min-labels', 20, 1_000_000), 50)
  .action(
    async (opts: {
      agent: string;
      modelVersion?: string;
      confidenceMethod?: string;
      promptVersion?: string;
      method: string;
      minLabels: number;
    }) => {
      if (opts.method !== 'isotonic' && opts.method !== 'platt')
        throw new InvalidArgumentError(`--method must be "isotonic" or "platt" (got "${opts.method}")`);
      const { db, close } = await openDatabase();
      try {
        const r = await fitCalibration(db, {
          agent: opts.agent,
          method: opts.method,
          minLabels: opts.minLabels,
          actor: { type: 'system', id: 'cli' },
          ...(opts.modelVersion ? { modelVersion: opts.modelVersion } : {}),
          ...(opts.confidenceMethod ? { confidenceMethod: opts.confidenceMethod } : {}),
          ...(opts.promptVersion ? { promptVersion: opts.promptVersion } : {}),
        });
        const row = (name: string, q: { ece: number; brier: number }) =>
          `  ${name.padEnd(12)} ECE ${q.ece.toFixed(4)}   Brier ${q.brier.toFixed(4)}`;
        const i = r.interval;
        console.log(
          [
            `${r.agent} ${r.modelVersion} (${r.confidenceMethod}, prompt ${r.promptVersion}): ${r.method}, fitted on ${r.trainSize} labels, judged on ${r.heldOutSize} held out`,
            row('before', r.before),
            row('after', r.after),
            `  improvement Brier ${i.estimate.toFixed(4)}, one-sided ${Math.round(i.level * 100)}% bootstrap bound ${i.lower.toFixed(4)} (${i.resamples} resamples, seed ${i.seed}; ${r.minHeldOut} held-out labels needed)`,
            `${r.activated ? 'activated' : 'stored, not activated'}: ${r.reason} (calibrator ${r.calibratorId})`,
          ].join('\n'),
        );
      } finally {
        await close();
      }
    },
  );

program
  .command('submit')
  .description("Submit items from a JSON-lines file to a server's ingestion API, in batches")
  .argument('<file>', 'JSON lines, one {workflow?, input, idempotencyKey?} per line')
  .option('--workflow <name>', 'workflow of the lines that name none')
  .option('--url <url>', 'server URL (default $SIGNOFF_URL or http://127.0.0.1:3000)')
  .option('--api-key <key>', 'ingestion API key (default $SIGNOFF_API_KEY)')
  .option('--batch-size <n>', 'items per request', intOption('--batch-size', 1, 1000), 500)
  .option('--concurrency <n>', 'requests in flight', intOption('--concurrency', 1, 16), 2)
  .option(
    '--idempotency-prefix <prefix>',
    "keys for lines without one are PREFIX:LINE (default: the file's name, size and mtime)",
  )
  .option('--errors <file>', 'write rejected lines (line number, error) here as JSON lines')
  .action(
    async (
      file: string,
      opts: {
        workflow?: string;
        url?: string;
        apiKey?: string;
        batchSize: number;
        concurrency: number;
        idempotencyPrefix?: string;
        errors?: string;
      },
    ) => {
      const env = readSubmitEnv();
      const apiKey = opts.apiKey ?? env.SIGNOFF_API_KEY;
      if (!apiKey) throw new InvalidArgumentError('Pass --api-key or set SIGNOFF_API_KEY');
      if (
        opts.idempotencyPrefix !== undefined &&
        (opts.idempotencyPrefix === '' || opts.idempotencyPrefix.length > 180)
      )
        throw new InvalidArgumentError('--idempotency-prefix must be 1 to 180 characters');
      const summary = await submitFile({
        file,
        url: opts.url ?? env.SIGNOFF_URL,
        apiKey,
        workflow: opts.workflow,
        batchSize: opts.batchSize,
        concurrency: opts.concurrency,
        idempotencyPrefix: opts.idempotencyPrefix,
        errorsFile: opts.errors,
      });
      log(`submit ${file}: ${formatSubmitSummary(summary)}`);
      if (summary.fatal)
        console.error(
          `error: stopped early: ${summary.fatal}\n  run the same command again to go on: lines already submitted are not created twice`,
        );
      const rejected = summary.invalid + summary.failed;
      if (rejected > 0)
        console.error(
          `${rejected} lines were not submitted${opts.errors ? `; see ${opts.errors}` : ' (pass --errors FILE to keep them)'}`,
        );
      if (summary.fatal || rejected > 0) process.exitCode = 1;
    },
  );

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}

registerAuditTrailCommand(registerAuditCommands(program));
registerTrainCommand(program);
registerTrustCommands(program);
registerPolicyHistoryCommand(program);
registerExampleCommands(program);
registerUsersCommand(program);
registerKeysCommand(program);
registerQueuesCommand(program);
registerModelsCommand(program);
registerDatasetCommands(program);
registerDecisionsCommand(program);
registerRetentionCommands(program);

program.parseAsync(process.argv).catch((e) => {
  console.error(e instanceof Error ? `error: ${e.message}` : e);
  if (e instanceof Error && e.cause) console.error('  cause:', e.cause instanceof Error ? e.cause.message : e.cause);
  process.exit(1);
});
