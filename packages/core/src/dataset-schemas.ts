// Dataset snapshots: what the server, the CLI and the console agree on. No I/O: the console bundles this file.
import { z } from 'zod';

/** Where a label came from: a routed review, the audit (QA) sample of auto-accepted decisions, or adjudication. */
export const LABEL_SOURCES = ['review', 'audit_sample', 'adjudication'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** Which verdicts of a multi-reviewer review point a snapshot takes: its answer, or every verdict. */
export const DATASET_VERDICTS = ['final', 'all'] as const;

export const DATASET_SPLITS = ['train', 'validation', 'test'] as const;
export type DatasetSplit = (typeof DATASET_SPLITS)[number];

/** jsonl (the canonical export, which the content hash is over), csv, chat (OpenAI fine-tuning) and parquet. */
export const DATASET_FORMATS = ['jsonl', 'csv', 'chat', 'parquet'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

const name = z.string().trim().min(1, 'Must not be empty').max(200, 'At most 200 characters');
const names = (what: string) =>
  z.array(name).min(1, `Give at least one ${what}, or leave the filter out`).max(100, `At most 100 ${what}s`);

// PostgreSQL's timestamptz does not reach as far as a JavaScript Date: years 1 to 9999 only.
/** A timestamp PostgreSQL can store, from an ISO 8601 string or a Date. */
export const storedDate = z.coerce
  .date({ error: 'Expected a date, e.g. 2026-01-31 or 2026-01-31T12:00:00Z' })
  .min(new Date('0001-01-01T00:00:00Z'), 'Expected a date from the year 1 to 9999')
  .max(new Date('9999-12-31T23:59:59Z'), 'Expected a date from the year 1 to 9999');

/** Which labels a snapshot takes. Every filter is optional; lists match any of their values. */
export const datasetFilters = z
  .strictObject({
    workflow: name.optional(),
    states: names('state').optional(),
    /** Labels recorded at or after `from` and before `to`. */
    from: storedDate.optional(),
    to: storedDate.optional(),
    modelVersions: names('model version').optional(),
    sources: z
      .array(z.enum(LABEL_SOURCES, { error: () => `Unknown label source: choose from ${LABEL_SOURCES.join(', ')}` }))
      .min(1, 'Give at least one source, or leave the filter out')
      .optional(),
    /** Reviewers by user id or email. */
    reviewers: names('reviewer').optional(),
    /**
     * `final` (the default): one label per review point, its answer, so a decision two people
     * reviewed is one example (their agreed label, or the lead's adjudication). `all`: every
     * verdict too, each row saying whether it is the point's answer (`final`), for agreement studies.
     */
    verdicts: z
      .enum(DATASET_VERDICTS, { error: () => `Unknown verdicts filter: choose from ${DATASET_VERDICTS.join(', ')}` })
      .optional(),
  })
  .superRefine((f, ctx) => {
    if (f.from && f.to && f.from.getTime() >= f.to.getTime())
      ctx.addIssue({ code: 'custom', path: ['to'], message: '"to" must be after "from"' });
  });
export type DatasetFilters = z.infer<typeof datasetFilters>;

const fraction = z.number().min(0, 'A fraction is at least 0').max(1, 'A fraction is at most 1');

/** The shares of items in train, validation and test; they add up to 1. */
export const splitFractions = z
  .strictObject({ train: fraction, validation: fraction, test: fraction })
  .superRefine((f, ctx) => {
    if (Math.abs(f.train + f.validation + f.test - 1) > 1e-9)
      ctx.addIssue({
        code: 'custom',
        path: ['test'],
        message: `train + validation + test must add up to 1 (they add up to ${f.train + f.validation + f.test})`,
      });
  });
export type SplitFractions = z.infer<typeof splitFractions>;

export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = { train: 0.8, validation: 0.1, test: 0.1 };

/** `datasets.create`: a name, the filters, and the split (its seed defaults to the snapshot's id). */
export const datasetCreateInput = z.strictObject({
  name: name,
  filters: datasetFilters.default({}),
  fractions: splitFractions.default(DEFAULT_SPLIT_FRACTIONS),
  seed: z.string().trim().min(1, 'Must not be empty').max(200, 'At most 200 characters').optional(),
});
export type DatasetCreateInput = z.input<typeof datasetCreateInput>;

export const datasetRef = z.strictObject({ snapshotId: z.uuid('Expected a UUID') });

/** What to download: a format and, optionally, one split. */
export const datasetExportQuery = z.strictObject({
  format: z.enum(DATASET_FORMATS, { error: () => `Unknown format: choose from ${DATASET_FORMATS.join(', ')}` }),
  split: z.enum(DATASET_SPLITS, { error: () => `Unknown split: choose from ${DATASET_SPLITS.join(', ')}` }).optional(),
});
export type DatasetExportQuery = z.infer<typeof datasetExportQuery>;
