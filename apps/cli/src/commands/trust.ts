// `signoff accuracy`, `signoff certify`, `signoff policy`: what auto-accept stands on, from the CLI.
import { userInfo } from 'node:os';
import { accuracyInput, certifyInput, policyChangeInput } from '@signoff/core';
import type { Actor } from '@signoff/governance';
import {
  type AccuracyRow,
  accuracyReport,
  type CertificationReport,
  certifyState,
  pausePolicy,
  resumePolicy,
  trustOverview,
} from '@signoff/trust';
import { type Command, InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { withDatabase } from '../open-database';

/** A policy change from the CLI: the command and the operating-system user who ran it (the policy history's "who"). */
const actor = (command: string): Actor => ({ type: 'system', id: `cli:${command}:${userInfo().username}` });
const pct = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(digits)}%`;

/** Parses options through a shared schema, so the CLI refuses what the API refuses, naming the option. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new InvalidArgumentError(
    `--${String(issue?.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue?.message}`,
  );
}

function dateOption(name: string) {
  return (v: string) => {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`${name} must be a date, e.g. 2026-11-01`);
    return d;
  };
}

export function formatAccuracy(rows: readonly AccuracyRow[], confidence: number): string {
  if (rows.length === 0) return 'No decisions with a recorded audit probability match.';
  const lines: string[] = [];
  for (const r of rows) {
    const a = r.automated;
    lines.push(`${r.workflow} / ${r.state}${r.field ? ` / field ${r.field}` : ''} / ${r.modelVersion}`);
    lines.push(
      a.population === 0
        ? '  automated: none auto-accepted'
        : `  automated: ${a.population} auto-accepted, ${a.labelled} audited, ${a.wrong} wrong: error ${pct(a.estimate)} (${pct(confidence, 0)} interval ${pct(a.lower)} to ${pct(a.upper)})`,
    );
    for (const s of a.strata)
      lines.push(`    audited at ${pct(s.probability, 1)}: ${s.labelled} of ${s.population}, ${s.wrong} wrong`);
    lines.push(
      `  routed to people: ${r.routed.decisions}, ${r.routed.labelled} answered, the AI right on ${pct(r.routed.accuracy, 1)} of them (not a random sample: these were routed for being uncertain or risky)`,
    );
    if (r.adjudicated > 0) lines.push(`  adjudicated labels: ${r.adjudicated}`);
  }
  return lines.join('\n');
}

export function formatCertification(r: CertificationReport): string {
  const c = r.certification;
  const lines = [
    `${r.key.workflow} / ${r.key.state}${r.key.field ? ` / field ${r.key.field}` : ''}: ${r.key.agent} ${r.key.modelVersion} (${r.key.confidenceMethod}, prompt ${r.key.promptVersion})`,
    `target: at most ${pct(r.maxError)} wrong with ${pct(r.confidence, 0)} confidence; ${r.decisions} decisions, ${r.fairLabels} fair labels, window ${r.window.from.toISOString()} to ${r.window.to.toISOString()}`,
    c.reason,
  ];
  const shown = c.candidates.filter((x) => x.tested).slice(-5);
  if (shown.length > 0) {
    lines.push('  threshold   automation   upper bound   labels   wrong');
    for (const x of shown)
      lines.push(
        `  ${x.threshold.toPrecision(4).padStart(9)}   ${pct(x.automation, 1).padStart(10)}   ${pct(x.bound.upper).padStart(11)}   ${String(x.bound.labelled).padStart(6)}   ${String(x.bound.wrong).padStart(5)}${x.passed ? '' : '   (fails)'}`,
      );
  }
  if (r.certificateId)
    lines.push(
      `certificate ${r.certificateId}${r.applied ? `, in force as policy version ${r.applied.version}` : ' (not applied: pass --apply)'}`,
    );
  return lines.join('\n');
}

/** Registers `accuracy`, `certify` and `policy pause|resume|show`. */
export function registerTrustCommands(program: Command): void {
  program
    .command('accuracy')
    .description(
      'The error of the automated path (from the audit sample), apart from the AI accuracy on items routed to people',
    )
    .option('--workflow <name>', 'only this workflow')
    .option('--state <name>', 'only this decide state')
    .option('--model-version <version>', 'only this model version')
    .option('--field <path>', "only this leaf field of a structured state's decisions (e.g. vendor.taxId)")
    .option('--from <date>', 'decisions made at or after', dateOption('--from'))
    .option('--to <date>', 'decisions made before', dateOption('--to'))
    .option('--confidence <c>', 'confidence of the intervals', (v) => Number(v), 0.95)
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const input = parse(accuracyInput, opts);
      const rows = await withDatabase((db) => accuracyReport(db, input));
      console.log(opts.json ? JSON.stringify(rows, null, 2) : formatAccuracy(rows, input.confidence));
    });

  program
    .command('certify')
    .description(
      "Certify a decide state's auto-accept threshold on its fair labels, for the target its policy declares",
    )
    .requiredOption('--workflow <name>', 'the workflow')
    .requiredOption('--state <name>', 'the decide state (it declares autoAccept: { maxError, confidence })')
    .option('--field <path>', "a structured state's certified leaf field (policy.fields.<path>.autoAccept)")
    .option('--model-version <version>', "default: the state's latest")
    .option('--from <date>', 'decisions made at or after (default: 90 days ago)', dateOption('--from'))
    .option('--to <date>', 'decisions made before (default: now)', dateOption('--to'))
    .option('--apply', 'put the certificate in force (an audited policy change: give --reason)')
    .option('--reason <why>', 'why the certificate is applied (required with --apply; kept in the policy history)')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const input = parse(certifyInput, { ...opts, apply: opts.apply === true });
      const r = await withDatabase((db) =>
        certifyState(db, {
          workflow: input.workflow,
          state: input.state,
          field: input.field,
          key: { modelVersion: input.modelVersion },
          window: { from: input.from, to: input.to },
          apply: input.apply,
          ...(input.reason ? { reason: input.reason } : {}),
          actor: actor('certify'),
        }),
      );
      console.log(opts.json ? JSON.stringify(r, null, 2) : formatCertification(r));
      if (!r.certificateId) process.exitCode = 2;
    });

  const policy = program.command('policy').description("A certified state's auto-accept: show, pause, resume");
  policy
    .command('show')
    .description('Every certified state: policy in force, certificate, drift guard, progress')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const states = await withDatabase((db) => trustOverview(db));
      if (opts.json) console.log(JSON.stringify(states, null, 2));
      else if (states.length === 0) console.log('No decide state declares certified auto-accept.');
      else
        for (const s of states)
          console.log(
            `${s.policy.workflow} / ${s.policy.state}${s.policy.field ? ` / field ${s.policy.field}` : ''}: ${s.policy.status} (policy v${s.policy.version})\n  ${s.explanation}`,
          );
    });
  for (const [name, description] of [
    ['pause', 'Pause auto-accept: everything goes to review until resumed'],
    ['resume', 'Resume a paused auto-accept on its certificate'],
  ] as const)
    policy
      .command(name)
      .description(description)
      .requiredOption('--workflow <name>', 'the workflow')
      .requiredOption('--state <name>', 'the decide state')
      .option('--field <path>', "a structured state's certified leaf field, instead of the state")
      .requiredOption('--reason <text>', 'why, for the audit trail')
      .action(async (opts: Record<string, unknown>) => {
        const input = parse(policyChangeInput, opts);
        const v = await withDatabase((db) =>
          name === 'pause'
            ? db
                .transaction()
                .execute((trx) =>
                  pausePolicy(
                    trx,
                    input.workflow,
                    input.state,
                    `paused by a person: ${input.reason}`,
                    actor('policy'),
                    {},
                    input.field,
                  ),
                )
            : resumePolicy(db, input.workflow, input.state, input.reason, actor('policy'), input.field),
        );
        console.log(
          `${input.workflow} / ${input.state}${v.field ? ` / field ${v.field}` : ''}: ${v.status} (policy v${v.version}): ${v.reason}`,
        );
      });
}
