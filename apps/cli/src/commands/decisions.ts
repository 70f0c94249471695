// `signoff decisions search [filters] --format csv|json [--out FILE]`: compliance's decision search,
// the whole result set written as CSV or JSON (PII masked), to a file or to stdout.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { decisionSearchFilters, fromSearchParams, SEARCH_EXPORT_FORMATS, searchExportFormat } from '@signoff/core';
import { writeDecisionExport } from '@signoff/datasets';
import { parseSearch } from '@signoff/governance';
import { type Command, InvalidArgumentError } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';

interface SearchOptions {
  from?: string;
  to?: string;
  workflow?: string;
  state?: string;
  itemStatus?: string;
  model?: string;
  modelVersion?: string;
  reviewer?: string;
  route?: string;
  overridden?: boolean;
  reviewed?: boolean;
  confidenceMin?: string;
  confidenceMax?: string;
  rawConfidence?: boolean;
  policyVersion?: string;
  certificate?: string;
  format: string;
  out?: string;
}

const FLAGS: Record<string, string> = {
  itemStatus: '--item-status',
  modelVersion: '--model-version',
  routes: '--route',
  confidenceMin: '--confidence-min',
  confidenceMax: '--confidence-max',
  confidenceBasis: '--raw-confidence',
  policyVersionId: '--policy-version',
  certificateId: '--certificate',
};

/** The search filters of the options, parsed by the API's schema; a bad one is named by its flag. */
export function filtersOfOptions(o: SearchOptions) {
  const params = new URLSearchParams();
  const set = (key: string, value: string | boolean | undefined) => {
    if (value !== undefined) params.set(key, String(value));
  };
  set('from', o.from);
  set('to', o.to);
  set('workflow', o.workflow);
  set('state', o.state);
  set('itemStatus', o.itemStatus);
  set('model', o.model);
  set('modelVersion', o.modelVersion);
  set('reviewer', o.reviewer);
  set('routes', o.route);
  set('overridden', o.overridden);
  set('reviewed', o.reviewed);
  set('confidenceMin', o.confidenceMin);
  set('confidenceMax', o.confidenceMax);
  if (o.rawConfidence) params.set('confidenceBasis', 'raw');
  set('policyVersionId', o.policyVersion);
  set('certificateId', o.certificate);
  try {
    return parseSearch(decisionSearchFilters, fromSearchParams(params));
  } catch (e) {
    const issues = (e as { issues?: { path: string; message: string }[] }).issues;
    if (!issues) throw e;
    const flag = (path: string) => FLAGS[path.split('.')[0] ?? ''] ?? `--${path.split('.')[0]}`;
    throw new InvalidArgumentError(issues.map((i) => `${flag(i.path)}: ${i.message}`).join('; '));
  }
}

/** Adds `signoff decisions search`. Exit codes: 0 written, 2 bad filters, 1 anything else. */
export function registerDecisionsCommand(program: Command): Command {
  const decisions = program.command('decisions').description('Find and export AI decisions (compliance)');
  decisions
    .command('search')
    .description(
      'Every decision the filters match, newest first, as CSV or JSON (PII masked). Example: auto-accepted below 0.9 last month: --route auto,sampled --confidence-max 0.9 --from 2026-11-01 --to 2026-12-01',
    )
    .option('--from <date>', 'decided at or after this time (ISO 8601)')
    .option('--to <date>', 'decided before this time (ISO 8601)')
    .option('--workflow <name>', 'of this workflow')
    .option('--state <name>', 'at this decide state')
    .option('--item-status <status>', 'whose item is now running, waiting, succeeded, rejected or failed')
    .option('--model <name>', 'by this model')
    .option('--model-version <version>', 'by this model version')
    .option('--reviewer <email-or-id>', 'that this person gave a verdict on')
    .option('--route <routes>', 'routed so: auto, review, sampled (comma-separated; auto-accepted is auto,sampled)')
    .option('--overridden', "a person's final label differs from the AI's")
    .option('--no-overridden', 'no person overrode the AI')
    .option('--reviewed', 'a person gave the final verdict')
    .option('--no-reviewed', 'no person has answered')
    .option('--confidence-min <p>', 'confidence at least p (0..1, inclusive)')
    .option('--confidence-max <p>', 'confidence below p (0..1, exclusive)')
    .option('--raw-confidence', "compare the model's raw confidence, not the calibrated one")
    .option('--policy-version <id>', 'decided under this policy version')
    .option('--certificate <id>', 'auto-accepted under this certificate')
    .option('--format <format>', SEARCH_EXPORT_FORMATS.join(' or '), 'csv')
    .option('--out <file>', 'write here (default: stdout)')
    .action((opts: SearchOptions) =>
      reportingErrors(async () => {
        const format = searchExportFormat.safeParse(opts.format);
        if (!format.success) throw new InvalidArgumentError(`--format: ${format.error.issues[0]?.message}`);
        const filters = filtersOfOptions(opts);
        await withDatabase(async (db) => {
          const out = opts.out ? createWriteStream(opts.out) : process.stdout;
          const count = await writeDecisionExport(db, filters, format.data, out);
          if (opts.out) {
            out.end();
            await once(out, 'finish');
          }
          console.error(`[signoff] ${count} decisions${opts.out ? ` written to ${opts.out}` : ''}`);
        });
      }),
    );
  return program;
}
