// `signoff audit trail <item> --format json|pdf --out FILE`: an item's decision trail as the file
// the console and the HTTP route serve (docs/decision-trail.md), straight from the database.
import { writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { AppError, TRAIL_FORMATS, type TrailFormat, toFieldIssues, trailInput } from '@signoff/core';
import { exportDecisionTrail } from '@signoff/engine';
import { type Command, Option } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';

/** Who the report says generated it: `--by`, else the operating-system account running the command. */
function author(by: string | undefined) {
  if (by) return { email: by };
  return { email: `${userInfo().username}@${hostname()}`, name: 'signoff audit trail (command line)' };
}

/**
 * Adds `trail` under `signoff audit`. Exit codes: 0 written, 2 bad item id or format, 4 no such item.
 *
 * @example
 * signoff audit trail 0196e1b2-... --format pdf --out trail.pdf
 */
export function registerAuditTrailCommand(audit: Command): Command {
  return audit
    .command('trail')
    .description(
      "Write an item's decision trail (states, AI decisions, tool calls, human verdicts, timings, chain verification) as JSON or a PDF report; personal data is masked",
    )
    .argument('<item>', 'the item id')
    .addOption(new Option('--format <format>', 'json or pdf').choices(TRAIL_FORMATS).makeOptionMandatory())
    .requiredOption('--out <file>', 'where to write it')
    .option('--by <email>', 'who the report names as its author (default: this OS account)')
    .action((item: string, opts: { format: TrailFormat; out: string; by?: string }) =>
      reportingErrors(async () => {
        const input = trailInput.safeParse({ itemId: item });
        if (!input.success) {
          const [issue] = toFieldIssues(input.error.issues);
          throw new AppError('BAD_INPUT', `${issue?.path}: ${issue?.message} (got "${item}")`);
        }
        const file = await withDatabase((db) =>
          exportDecisionTrail(db, input.data.itemId, { format: opts.format, author: author(opts.by) }),
        );
        await writeFile(opts.out, file.body);
        console.log(
          `wrote the decision trail of item ${item} to ${opts.out} (${opts.format}, ${file.body.length} bytes)`,
        );
      }),
    );
}
