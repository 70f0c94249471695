// `signoff train`: a candidate of an agent's built-in model, promoted only if it beats the active one.
import { DEFAULT_PROMOTION_ALPHA, type LocalModelTraining, loadTrainingExamples, trainingLabels } from '@signoff/ai';
import type { Actor } from '@signoff/governance';
import { type CertifiedTraining, pct, trainCertified } from '@signoff/trust';
import { type Command, InvalidArgumentError } from 'commander';
import { openDatabase } from '../open-database';

const CLI_ACTOR: Actor = { type: 'system', id: 'cli:train' };

/**
 * Adds `signoff train --agent NAME [--labels a,b,c] [--alpha P] [--force]` to the program. It prints
 * the candidate against the active version on the candidate's holdout (accuracies, the discordant
 * pairs and the exact McNemar p-value) and exits 0 whether or not the candidate was promoted; 1 when
 * the agent has no examples to train on.
 *
 * @example
 * registerTrainCommand(program);
 * // $ signoff train --agent support-classifier
 */
export function registerTrainCommand(program: Command): Command {
  return program
    .command('train')
    .description(
      "Train a candidate of an agent's built-in model on its seed examples and human labels; it becomes active only if an exact McNemar test on the same held-out examples says it beats the active version",
    )
    .requiredOption('--agent <name>', "the agent (a decide state's agent name)")
    .option(
      '--labels <labels>',
      "comma-separated labels (default: the active model's, else those in the examples)",
      parseLabels,
    )
    .option(
      '--alpha <p>',
      `the McNemar p-value at or below which the candidate is promoted (default ${DEFAULT_PROMOTION_ALPHA})`,
      parseAlpha,
    )
    .option('--force', 'make the candidate active even if it does not beat the active version')
    .action(async (opts: { agent: string; labels?: string[]; alpha?: number; force?: boolean }) => {
      const { db, close } = await openDatabase();
      try {
        const labels = opts.labels ?? (await trainingLabels(db, opts.agent));
        const examples = labels.length > 0 ? await loadTrainingExamples(db, opts.agent, labels) : [];
        if (examples.length === 0) {
          console.error(
            `error: agent "${opts.agent}" has no training examples${opts.labels ? ` with labels ${labels.join(', ')}` : ''}` +
              ' (seed examples, or human labels of its decisions): nothing to train',
          );
          process.exitCode = 1;
          return;
        }
        const r = await trainCertified(db, {
          agent: opts.agent,
          labels,
          force: opts.force ?? false,
          actor: CLI_ACTOR,
          ...(opts.alpha === undefined ? {} : { alpha: opts.alpha }),
        });
        console.log(formatTraining(opts.agent, labels, r.training));
        const certified = formatCertifications(r);
        if (certified) console.log(certified);
      } finally {
        await close();
      }
    });
}

/** What promotion did to the certified states that depend on the agent. */
function formatCertifications(r: CertifiedTraining): string | null {
  if (r.certifiedStates.length === 0) return null;
  const m = r.training.candidate.metrics;
  const lines = [
    `  serves: ${m.serves === 'holdout-free' ? 'the fit trained without the holdout (certified states depend on this agent)' : 'the fit on every example'}`,
  ];
  if (r.notCertified) {
    lines.push(`  certification at promotion: none, ${r.notCertified}`);
    return lines.join('\n');
  }
  for (const c of r.certifications) {
    const where = `${c.key.workflow} / ${c.key.state}`;
    const certified = c.certification.certified;
    lines.push(
      certified
        ? `  ${where}: certified ${c.key.modelVersion} at score >= ${certified.threshold.toPrecision(4)} on ${c.heldOutLabels} held-out fair labels (error at most ${pct(certified.bound.upper)}, ${pct(certified.automation)} automated)${c.applied ? `, in force as policy version ${c.applied.version}` : ', not applied: the state is paused'}`
        : `  ${where}: not certified: ${c.certification.reason}; ${c.key.modelVersion} auto-accepts nothing there until its fair labels certify it`,
    );
    lines.push(
      c.calibration
        ? `  ${where}: calibrator ${c.calibration.activated ? 'activated' : 'fitted, not activated'}: ${c.calibration.reason}`
        : `  ${where}: no calibrator: ${c.calibrationSkipped}`,
    );
  }
  return lines.join('\n');
}

function parseAlpha(value: string): number {
  const alpha = Number(value);
  if (!(alpha > 0 && alpha < 1)) throw new InvalidArgumentError('--alpha must be a number between 0 and 1, e.g. 0.05');
  return alpha;
}

function parseLabels(value: string): string[] {
  const labels = [...new Set(value.split(',').map((l) => l.trim()))].filter(Boolean);
  if (labels.length === 0) throw new InvalidArgumentError('--labels needs at least one label, e.g. refund,other');
  return labels;
}

/** The comparison as a small table, the paired test, then the decision and why. */
function formatTraining(agent: string, labels: readonly string[], { candidate, baseline }: LocalModelTraining): string {
  const m = candidate.metrics;
  const score = (accuracy: number | null) =>
    accuracy === null ? 'n/a' : `${accuracy.toFixed(3)} (${Math.round(accuracy * m.holdoutSize)}/${m.holdoutSize})`;
  const rows: [string, string, string][] = [
    ['', `candidate v${candidate.version}`, baseline ? `current v${baseline.version}` : 'current'],
    ['holdout accuracy', score(m.holdoutAccuracy), baseline ? score(m.baselineAccuracy) : 'none active'],
    ['holdout size', String(m.holdoutSize), baseline ? String(m.holdoutSize) : '-'],
    ...(m.mcnemar ? [['right only here', String(m.mcnemar.b), String(m.mcnemar.c)] as [string, string, string]] : []),
    [
      'examples',
      `${candidate.exampleCount} (${m.trainSize} trained on)`,
      baseline ? String(baseline.exampleCount) : '-',
    ],
  ];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  const table = rows.map(([a, b, c]) => `  ${a.padEnd(widths[0] ?? 0)}  ${b.padEnd(widths[1] ?? 0)}  ${c}`.trimEnd());
  const verdict = m.promoted ? (m.forced ? 'yes (forced)' : 'yes') : 'no';
  const active = m.promoted ? candidate.version : baseline?.version;
  return [
    `[signoff] train ${agent} on ${labels.join(', ')}`,
    ...table,
    ...(m.mcnemar
      ? [
          `  exact McNemar, one-sided: p = ${m.mcnemar.pValue.toPrecision(3)} (promoted at p <= ${m.mcnemar.alpha}; b = ${m.mcnemar.b}, c = ${m.mcnemar.c})`,
        ]
      : []),
    `  promoted: ${verdict}`,
    `  why: ${m.reason}`,
    `  active: ${active === undefined ? 'none' : `v${active}`}`,
  ].join('\n');
}
