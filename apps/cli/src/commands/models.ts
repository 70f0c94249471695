// `signoff models probe|capabilities`: what an OpenAI-compatible endpoint supports, asked afresh
// or as recorded by the workers and earlier probes.
import { listCapabilities, type ModelCapabilities, selectProvider } from '@signoff/ai';
import { AppError } from '@signoff/core';
import { readEnv } from '@signoff/server';
import type { Command } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';

/** A model's capabilities as lines a person reads: one per feature, then the refusals. */
export function formatCapabilities(c: ModelCapabilities): string {
  const lines = [
    `${c.endpoint} model ${c.model}${c.modelVersion && c.modelVersion !== c.model ? ` (answers as ${c.modelVersion})` : ''}`,
    `  output mode used      ${c.outputMode}`,
    `  json_schema           ${c.jsonSchema}`,
    `  tools                 ${c.tools}`,
    `  JSON mode             ${c.jsonMode}`,
    `  logprobs              ${c.logprobs}`,
    `  n                     ${c.n}`,
    `  temperature           ${c.temperature}`,
    `  confidence from       ${c.confidence}`,
    `  ${c.probedAt ? `probed ${c.probedAt}` : `learnt from decisions, last ${c.updatedAt}`}`,
  ];
  for (const r of c.refusals) lines.push(`  refused ${r.parameter}: HTTP ${r.status} ${JSON.stringify(r.message)}`);
  if (c.confidence === 'unavailable')
    lines.push(
      '  decisions from this model go to review with reason confidence_unavailable, unless its agents opt into the verbalised rating',
    );
  return lines.join('\n');
}

/** Adds `signoff models probe` and `signoff models capabilities`. Exit codes: 0 done, 1 unreachable, 2 not configured. */
export function registerModelsCommand(program: Command): Command {
  const models = program.command('models').description("What the OpenAI-compatible endpoint's models support");

  models
    .command('probe')
    .description(
      'Ask the endpoint (OPENAI_BASE_URL, OPENAI_API_KEY) which of json_schema, tools, JSON mode, logprobs, n and temperature it honours; record it',
    )
    .option('--model <name>', 'the model to probe (default OPENAI_MODEL, else gpt-4o-mini)')
    .option('--json', 'print the result as JSON')
    .action((opts: { model?: string; json?: boolean }) =>
      reportingErrors(async () => {
        const env = readEnv();
        const provider = selectProvider(env);
        if (!('probe' in provider))
          throw new AppError(
            'BAD_INPUT',
            'No OpenAI-compatible endpoint is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a server other than OpenAI)',
          );
        const caps = await withDatabase((db) => provider.probe(db, opts.model?.trim() || undefined));
        console.log(opts.json ? JSON.stringify(caps, null, 2) : formatCapabilities(caps));
      }),
    );

  models
    .command('capabilities')
    .description('What the workers and earlier probes recorded about each endpoint and model')
    .option('--json', 'print JSON lines')
    .action((opts: { json?: boolean }) =>
      reportingErrors(async () => {
        const all = await withDatabase((db) => listCapabilities(db));
        if (all.length === 0) console.error('[signoff] nothing recorded yet: run `signoff models probe`');
        for (const c of all) console.log(opts.json ? JSON.stringify(c) : `${formatCapabilities(c)}\n`);
      }),
    );
  return models;
}
