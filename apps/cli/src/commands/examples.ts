// `signoff examples import` and `signoff evaluate`: labelled data a user supplies, loaded for an
// agent or used to judge a model without creating items.
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  createCalibrationSource,
  createLocalProvider,
  importExamples,
  type LabelledExample,
  labelledExample,
  selectProvider,
} from '@signoff/ai';
import { readEnv } from '@signoff/server';
import { type Evaluation, evaluateModel } from '@signoff/trust';
import { type Command, InvalidArgumentError } from 'commander';
import { withDatabase } from '../open-database';

const pct = (x: number | null, digits = 1) => (x === null ? 'n/a' : `${(x * 100).toFixed(digits)}%`);

function lines(file: string) {
  return createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
}

function probability(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`${name} must be between 0 and 1, e.g. 0.01`);
    return n;
  };
}

export function formatEvaluation(e: Evaluation): string {
  const out = [
    `${e.agent}: ${e.model} ${e.modelVersion} (${e.confidenceMethod}) on ${e.examples} labelled examples${e.failed.length ? ` (${e.failed.length} could not be answered)` : ''}`,
    `accuracy ${pct(e.accuracy, 2)}; ECE ${e.ece.raw.toFixed(4)} raw${e.ece.calibrated === null ? ' (no active calibrator)' : `, ${e.ece.calibrated.toFixed(4)} calibrated`}`,
    `at most ${pct(e.atTarget.maxError, 2)} wrong: a threshold chosen in hindsight automates ${pct(e.atTarget.hindsightAutomation)}; a certificate (${pct(e.atTarget.confidence, 0)}) on these labels would automate ${pct(e.atTarget.certifiedAutomation)}`,
    '  threshold   automation    error   upper 95%',
  ];
  const step = Math.max(1, Math.floor(e.curve.length / 12));
  for (const [i, p] of e.curve.entries())
    if (i % step === 0 || i === e.curve.length - 1)
      out.push(
        `  ${p.threshold.toPrecision(4).padStart(9)}   ${pct(p.automation).padStart(10)}   ${pct(p.error, 2).padStart(6)}   ${pct(p.upper95, 2).padStart(9)}`,
      );
  return out.join('\n');
}

/** Registers `examples import` and `evaluate`. */
export function registerExampleCommands(program: Command): void {
  program
    .command('examples')
    .description("An agent's labelled examples")
    .command('import')
    .description("Load labelled examples ({text, label} per line) that an agent's built-in model trains on")
    .argument('<file>', 'JSON lines, one {"text": ..., "label": ...} per line')
    .requiredOption('--agent <name>', "the agent (a decide state's agent name)")
    .option('--errors <file>', 'write refused lines (line number, why) here as JSON lines')
    .action(async (file: string, opts: { agent: string; errors?: string }) => {
      const r = await withDatabase((db) =>
        importExamples(db, opts.agent, lines(file), { type: 'system', id: 'cli:examples' }),
      );
      const labels = Object.entries(r.labels)
        .map(([l, n]) => `${l} ${n}`)
        .join(', ');
      console.log(
        `${opts.agent}: ${r.read} examples read, ${r.added} added, ${r.duplicates} already there, ${r.invalid.length} refused${labels ? ` (valid: ${labels})` : ''}`,
      );
      for (const i of r.invalid.slice(0, 10)) console.error(`  line ${i.line}: ${i.message}`);
      if (r.invalid.length > 10) console.error(`  ... and ${r.invalid.length - 10} more`);
      if (opts.errors)
        writeFileSync(opts.errors, r.invalid.map((i) => JSON.stringify(i)).join('\n') + (r.invalid.length ? '\n' : ''));
      if (r.invalid.length > 0) process.exitCode = 1;
    });

  program
    .command('evaluate')
    .description(
      'Evaluate a model on a labelled file without creating items: accuracy, ECE, the automation/error curve',
    )
    .requiredOption('--agent <name>', 'the agent whose model answers')
    .requiredOption('--file <file>', 'JSON lines, one {"text": ..., "label": ...} per line')
    .option('--labels <labels>', 'comma-separated labels offered (default: those in the file)')
    .option('--provider <name>', 'local (the built-in model) or openai (OPENAI_API_KEY)', 'local')
    .option('--instructions <text>', "the agent's instructions (the OpenAI-compatible provider reads them)")
    .option(
      '--max-error <p>',
      'the error target of the hindsight and certified figures',
      probability('--max-error'),
      0.01,
    )
    .option('--confidence <p>', 'confidence of the certified figure', probability('--confidence'), 0.95)
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        agent: string;
        file: string;
        labels?: string;
        provider: string;
        instructions?: string;
        maxError: number;
        confidence: number;
        json?: boolean;
      }) => {
        if (opts.provider !== 'local' && opts.provider !== 'openai')
          throw new InvalidArgumentError(`--provider must be local or openai (got "${opts.provider}")`);
        const examples: LabelledExample[] = [];
        const refused: string[] = [];
        let n = 0;
        for await (const line of lines(opts.file)) {
          n++;
          if (!line.trim()) continue;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            refused.push(`line ${n}: not JSON`);
            continue;
          }
          const parsed = labelledExample.safeParse(value);
          if (parsed.success) examples.push(parsed.data);
          else
            refused.push(
              `line ${n}: ${parsed.error.issues[0]?.path.join('.') || '(root)'}: ${parsed.error.issues[0]?.message}`,
            );
        }
        if (refused.length > 0) {
          for (const r of refused.slice(0, 10)) console.error(r);
          throw new InvalidArgumentError(
            `${refused.length} lines of ${opts.file} are not {"text", "label"}: fix them first`,
          );
        }
        if (examples.length === 0) throw new InvalidArgumentError(`${opts.file} holds no examples`);
        const labels = opts.labels
          ? opts.labels
              .split(',')
              .map((l) => l.trim())
              .filter(Boolean)
          : [...new Set(examples.map((e) => e.label))];
        if (labels.length < 2) throw new InvalidArgumentError('--labels needs at least two labels');
        const env = readEnv();
        const provider = opts.provider === 'openai' ? selectProvider(env) : createLocalProvider();
        if (opts.provider === 'openai' && provider.name !== 'openai')
          throw new InvalidArgumentError('--provider openai needs OPENAI_API_KEY');
        const e = await withDatabase((db) =>
          evaluateModel(db, provider, {
            agent: opts.agent,
            labels,
            examples,
            ...(opts.instructions ? { instructions: opts.instructions } : {}),
            calibration: createCalibrationSource(),
            maxError: opts.maxError,
            confidence: opts.confidence,
          }),
        );
        console.log(opts.json ? JSON.stringify(e, null, 2) : formatEvaluation(e));
      },
    );
}
