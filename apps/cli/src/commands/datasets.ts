// `signoff dataset create|list|export`: immutable, versioned snapshots of labels, and their files.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { AppError, DATASET_FORMATS, DATASET_SPLITS, type DatasetFormat, type DatasetSplit } from '@signoff/core';
import { createSnapshot, getSnapshot, listSnapshots, type Snapshot, writeSnapshot } from '@signoff/datasets';
import { SYSTEM } from '@signoff/governance';
import { type Command, InvalidArgumentError } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';
import { INCLUDE_PII_FLAG, prepareExport } from '../pii-export';

const collect = (v: string, all: string[] = []) => [...all, v];

/** A snapshot's manifest as lines a person reads. */
export function formatManifestSummary(s: Snapshot): string {
  const m = s.manifest;
  const split = (name: string) => m.counts.bySplit[name] ?? { rows: 0, items: 0 };
  const lines = [
    `snapshot ${s.id} "${s.name}"`,
    `  rows ${m.counts.rows} (items ${m.counts.items}, corrections ${m.counts.corrections})`,
    `  split (seed ${m.seed})  ${DATASET_SPLITS.map((n) => `${n} ${split(n).rows} rows / ${split(n).items} items`).join(', ')}`,
    `  labels  ${Object.entries(m.labels.overall)
      .map(([l, n]) => `${l} ${n}`)
      .join(', ')}`,
    `  sources ${Object.entries(m.sources)
      .map(([l, n]) => `${l} ${n}`)
      .join(', ')}`,
    `  model versions ${m.modelVersions.map((v) => `${v.agent ?? '(none)'}@${v.modelVersion ?? '(none)'} ${v.rows}`).join(', ')}`,
    `  inclusion probability ${m.sampling.min ?? '-'}..${m.sampling.max ?? '-'} (${m.sampling.rowsWithoutProbability} rows without), sum of 1/p ${m.sampling.weightTotal}`,
    `  content hash sha256:${s.contentHash}`,
  ];
  return lines.join('\n');
}

function fractionsOption(v: string) {
  const parts = v.split(/[,/]/).map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)))
    throw new InvalidArgumentError('--split-fractions takes three numbers: train,validation,test (e.g. 0.8,0.1,0.1)');
  const [train, validation, test] = parts as [number, number, number];
  return { train, validation, test };
}

/** Adds `signoff dataset create`, `list` and `export`. Exit codes: 0 done, 2 bad input, 4 no such snapshot. */
export function registerDatasetCommands(program: Command): Command {
  const dataset = program.command('dataset').description('Versioned, immutable dataset snapshots of human labels');

  dataset
    .command('create')
    .description('Freeze the labels the filters take into a snapshot with a train/validation/test split')
    .requiredOption('--name <name>', 'what to call it')
    .option('--workflow <name>', 'only labels of this workflow')
    .option('--state <name>', 'only labels of this state (repeatable)', collect)
    .option('--from <date>', 'only labels recorded at or after this time (ISO 8601)')
    .option('--to <date>', 'only labels recorded before this time (ISO 8601)')
    .option('--model-version <version>', 'only labels of decisions of this model version (repeatable)', collect)
    .option(
      '--source <source>',
      `only labels from: ${['review', 'audit_sample', 'adjudication'].join(', ')} (repeatable)`,
      collect,
    )
    .option('--reviewer <email-or-id>', 'only labels given by this reviewer (repeatable)', collect)
    .option(
      '--all-verdicts',
      'every verdict of a multi-reviewer review point, not only its answer (rows say which is final)',
    )
    .option('--split-fractions <t,v,t>', 'shares of items in train, validation and test', fractionsOption)
    .option('--seed <text>', "the split's seed (default: the snapshot's id)")
    .option('--json', 'print the snapshot with its manifest as JSON')
    .action(
      (opts: {
        name: string;
        workflow?: string;
        state?: string[];
        from?: string;
        to?: string;
        modelVersion?: string[];
        source?: string[];
        reviewer?: string[];
        allVerdicts?: boolean;
        splitFractions?: { train: number; validation: number; test: number };
        seed?: string;
        json?: boolean;
      }) =>
        reportingErrors(async () => {
          const filters = {
            ...(opts.workflow !== undefined ? { workflow: opts.workflow } : {}),
            ...(opts.state ? { states: opts.state } : {}),
            ...(opts.from !== undefined ? { from: opts.from } : {}),
            ...(opts.to !== undefined ? { to: opts.to } : {}),
            ...(opts.modelVersion ? { modelVersions: opts.modelVersion } : {}),
            ...(opts.source ? { sources: opts.source } : {}),
            ...(opts.reviewer ? { reviewers: opts.reviewer } : {}),
            ...(opts.allVerdicts ? { verdicts: 'all' } : {}),
          };
          const input = {
            name: opts.name,
            filters,
            ...(opts.splitFractions ? { fractions: opts.splitFractions } : {}),
            ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          };
          const s = await withDatabase((db) =>
            // biome-ignore lint/suspicious/noExplicitAny: checked by createSnapshot's schema, which names the bad field.
            db.transaction().execute((trx) => createSnapshot(trx, input as any, SYSTEM)),
          );
          console.log(opts.json ? JSON.stringify(s, null, 2) : formatManifestSummary(s));
        }),
    );

  dataset
    .command('list')
    .description('Snapshots, newest first')
    .option('--json', 'print JSON lines')
    .action((opts: { json?: boolean }) =>
      reportingErrors(async () => {
        const all = await withDatabase((db) => listSnapshots(db));
        if (all.length === 0) console.error('[signoff] no snapshots yet: run `signoff dataset create`');
        for (const s of all)
          console.log(
            opts.json
              ? JSON.stringify(s)
              : `${s.id}  ${s.createdAt}  ${String(s.rowCount).padStart(8)} rows  sha256:${s.contentHash.slice(0, 12)}  ${s.name}`,
          );
      }),
    );

  dataset
    .command('export')
    .description('Write a snapshot (or one split of it) to a file')
    .argument('<snapshot-id>', 'the snapshot')
    .requiredOption('--format <format>', `one of ${DATASET_FORMATS.join(', ')}`)
    .requiredOption('--out <file>', 'file to write')
    .option('--split <split>', `only ${DATASET_SPLITS.join(', ')}`)
    .option(...INCLUDE_PII_FLAG)
    .action((snapshotId: string, opts: { format: string; out: string; split?: string; includePii?: boolean }) =>
      reportingErrors(async () => {
        if (!(DATASET_FORMATS as readonly string[]).includes(opts.format))
          throw new AppError(
            'BAD_INPUT',
            `--format must be one of ${DATASET_FORMATS.join(', ')} (got "${opts.format}")`,
          );
        if (opts.split !== undefined && !(DATASET_SPLITS as readonly string[]).includes(opts.split))
          throw new AppError('BAD_INPUT', `--split must be one of ${DATASET_SPLITS.join(', ')} (got "${opts.split}")`);
        if (!/^[0-9a-f-]{36}$/i.test(snapshotId)) throw new AppError('BAD_INPUT', `Not a snapshot id: "${snapshotId}"`);
        await withDatabase(async (db) => {
          const s = await getSnapshot(db, snapshotId);
          const includePii = opts.includePii === true;
          await prepareExport(db, includePii, {
            command: 'dataset export',
            snapshotId: s.id,
            format: opts.format,
            split: opts.split ?? null,
            out: opts.out,
          });
          const file = createWriteStream(opts.out);
          const opened = once(file, 'open');
          await opened;
          try {
            const { records } = await writeSnapshot(
              db,
              s.id,
              { format: opts.format as DatasetFormat, split: opts.split as DatasetSplit | undefined, includePii },
              file,
            );
            file.end();
            await once(file, 'finish');
            console.log(
              `[signoff] wrote ${records} records of snapshot ${s.id}${opts.split ? ` (${opts.split})` : ''} as ${opts.format} to ${opts.out}`,
            );
          } catch (e) {
            file.destroy();
            throw e;
          }
        });
      }),
    );
  return dataset;
}
