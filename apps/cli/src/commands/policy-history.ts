// `signoff policy history`: every policy change with who, when, why and the old and new values.
import {
  POLICY_CHANGE_KINDS,
  POLICY_CSV_COLUMNS,
  POLICY_HISTORY_MAX_LIMIT,
  policyChangeRow,
  policyHistoryInput,
} from '@signoff/core';
import { maskPii } from '@signoff/governance';
import { listPolicyChanges, type PolicyChange } from '@signoff/trust';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { withDatabase } from '../open-database';

const FORMATS = ['table', 'json', 'csv'] as const;

/** Every change the filters take, newest first, following the pages (at most `max`). */
async function collect(filters: Record<string, unknown>, max: number): Promise<PolicyChange[]> {
  return withDatabase(async (db) => {
    const out: PolicyChange[] = [];
    let cursor: string | undefined;
    do {
      const page = await listPolicyChanges(db, {
        ...filters,
        limit: Math.min(POLICY_HISTORY_MAX_LIMIT, max - out.length),
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.changes);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < max);
    return out;
  });
}

/** The changes as text: one block per change, old -> new on its own line. */
export function formatPolicyHistory(changes: readonly PolicyChange[]): string {
  if (changes.length === 0) return 'No policy changes match.';
  return changes
    .map((c) => {
      const r = policyChangeRow(c);
      const version = r.version ? ` v${r.version}` : '';
      return [
        `${r.at}  ${r.workflow}${version} / ${r.state}  ${r.kind} ${r.field}  by ${r.who}`,
        `  ${r.old} -> ${r.new}`,
        `  why: ${r.why}  (${r.source})`,
      ].join('\n');
    })
    .join('\n');
}

/** Registers `policy history` under the `policy` command (`trust.ts` creates it). */
export function registerPolicyHistoryCommand(program: Command): void {
  const policy = program.commands.find((c) => c.name() === 'policy') ?? program.command('policy');
  policy
    .command('history')
    .description(
      'Every policy change (thresholds, certificates, risk rules, sampling, review modes, pauses and resumes) with who, when, why and old -> new',
    )
    .option('--workflow <name>', 'only this workflow')
    .option('--state <name>', 'only this state')
    .addOption(new Option('--kind <kind>', 'only this kind of change').choices(POLICY_CHANGE_KINDS))
    .option('--from <date>', 'changes at or after, e.g. 2026-11-01')
    .option('--to <date>', 'changes before')
    .option('--limit <n>', 'at most this many changes, newest first', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--limit must be a whole number >= 1');
      return n;
    })
    .addOption(new Option('--format <format>', 'output').choices(FORMATS).default('table'))
    .action(async (opts: Record<string, unknown>) => {
      const filters = Object.fromEntries(
        ['workflow', 'state', 'kind', 'from', 'to'].filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]),
      );
      const checked = policyHistoryInput.safeParse(filters);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new InvalidArgumentError(`--${String(issue?.path[0] ?? '')}: ${issue?.message}`);
      }
      // As in the API: who changed policy is staff account data; personal data in reasons and values is masked.
      const changes = maskPii(await collect(filters, (opts.limit as number | undefined) ?? Number.MAX_SAFE_INTEGER), {
        keep: ['*.actor.label', '*.actor.id'],
      });
      if (opts.format === 'json') console.log(JSON.stringify(changes, null, 2));
      else if (opts.format === 'csv')
        process.stdout.write(
          stringify(changes.map(policyChangeRow), { header: true, columns: [...POLICY_CSV_COLUMNS] }),
        );
      else console.log(formatPolicyHistory(changes));
    });
}
