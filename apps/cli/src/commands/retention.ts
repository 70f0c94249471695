// `signoff retention status|purge`: the period each workflow keeps payloads, what is due, and a
// purge by hand (docs/retention.md). The server's default comes from the same environment as the
// server's (SIGNOFF_RETENTION_DAYS, SIGNOFF_RETENTION_MODE).
import { userInfo } from 'node:os';
import { AppError, retentionPurgeInput } from '@signoff/core';
import {
  type PurgeResult,
  purgeExpired,
  type RetentionStatus,
  retentionDefaultOf,
  retentionStatus,
} from '@signoff/governance';
import { readEnv } from '@signoff/server';
import type { Command } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';

/** The options checked by the API's schema, so a bad workflow name reads the same everywhere. */
function parseOptions(opts: { workflow?: string; dryRun?: boolean }) {
  const parsed = retentionPurgeInput.safeParse({
    ...(opts.workflow !== undefined ? { workflow: opts.workflow } : {}),
    dryRun: opts.dryRun ?? false,
  });
  if (!parsed.success) throw new AppError('BAD_INPUT', `--workflow: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** One line per workflow, as a person reads it. */
export function formatRetentionStatus(rows: RetentionStatus[]): string {
  return rows
    .map((r) => {
      const period = r.retention ? `${r.retention.days} days, ${r.retention.mode}` : 'kept forever';
      const last = r.lastPurge
        ? `last purge ${r.lastPurge.at.toISOString()} (${r.lastPurge.items} items, ${r.lastPurge.trigger})`
        : 'never purged';
      const cutoff = r.cutoff ? `finished before ${r.cutoff.toISOString()}` : '';
      return `${r.workflow}  ${period} (${r.source})  due ${r.due}${cutoff ? ` ${cutoff}` : ''}  held by open tasks ${r.heldByOpenTasks}  purged ${r.purged}  ${last}`;
    })
    .join('\n');
}

function formatPurge(r: PurgeResult): string {
  const verb = r.dryRun ? 'would purge' : 'purged';
  const lines = r.workflows.map(
    (w) =>
      `${w.workflow}  ${verb} ${w.items} items finished before ${w.cutoff.toISOString()} (${w.retention.days} days, ${w.retention.mode})`,
  );
  for (const s of r.skipped) lines.push(`${s}  kept forever (no retention and no SIGNOFF_RETENTION_DAYS)`);
  return lines.join('\n');
}

/** Adds `signoff retention status` and `purge`. Exit codes: 0 done, 2 bad input, 4 no such workflow. */
export function registerRetentionCommands(program: Command): Command {
  const retention = program.command('retention').description('Retention periods and the purge of payloads past them');
  const fallback = () => retentionDefaultOf(readEnv());

  retention
    .command('status')
    .description('Per workflow: the period, items due, items held by open tasks, items purged, the last purge')
    .option('--workflow <name>', 'only this workflow')
    .option('--json', 'print JSON')
    .action((opts: { workflow?: string; json?: boolean }) =>
      reportingErrors(async () => {
        const { workflow } = parseOptions(opts);
        const rows = await withDatabase((db) => retentionStatus(db, fallback(), { workflow }));
        console.log(opts.json ? JSON.stringify(rows, null, 2) : formatRetentionStatus(rows));
      }),
    );

  retention
    .command('purge')
    .description('Purge (delete or anonymise) the payloads of items past their retention, audited')
    .option('--workflow <name>', 'only this workflow')
    .option('--dry-run', 'count what would be purged and change nothing')
    .option('--json', 'print JSON')
    .action((opts: { workflow?: string; dryRun?: boolean; json?: boolean }) =>
      reportingErrors(async () => {
        const input = parseOptions(opts);
        const r = await withDatabase((db) =>
          purgeExpired(db, {
            fallback: fallback(),
            workflow: input.workflow,
            dryRun: input.dryRun,
            // The CLI has no signed-in user: the event names the command and the account that ran it.
            actor: { type: 'system', id: `cli:${userInfo().username}` },
            trigger: 'cli',
            onProgress: (p) => {
              if (!input.dryRun) process.stderr.write(`[signoff] ${p.workflow}: batch ${p.batch}, ${p.total} items\n`);
            },
          }),
        );
        console.log(opts.json ? JSON.stringify(r, null, 2) : formatPurge(r));
      }),
    );
  return retention;
}
