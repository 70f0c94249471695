import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  AppError,
  DATASET_SPLITS,
  type DatasetCreateInput,
  type DatasetFilters,
  datasetCreateInput,
  type SplitFractions,
} from '@signoff/core';
import type { DatasetSnapshotsTable, DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { writeSnapshot } from './export-snapshot';
import { formatSchemas } from './snapshot-fields';
import { insertMembersSql, membersSql } from './snapshot-sql';
import { flatFields, type StructuredState, structuredStates } from './snapshot-structured';

/** What a snapshot is, as the list shows it. */
export interface SnapshotSummary {
  id: string;
  name: string;
  createdBy: Record<string, unknown>;
  createdAt: string;
  filters: Record<string, unknown>;
  seed: string;
  fractions: SplitFractions;
  rowCount: number;
  contentHash: string;
}

export interface Snapshot extends SnapshotSummary {
  manifest: SnapshotManifest;
  /**
   * Members whose labels retention purged since the snapshot was made (docs/retention.md): their
   * texts export as null, so an export no longer hashes to `contentHash` once `members` > 0.
   */
  purged: { members: number; lastAt: string | null };
}

type Counts = Record<string, number>;

/** Everything a data scientist needs to know about a snapshot without reading it. */
export interface SnapshotManifest {
  version: 1;
  filters: Record<string, unknown>;
  seed: string;
  fractions: SplitFractions;
  counts: {
    rows: number;
    items: number;
    corrections: number;
    bySplit: Record<string, { rows: number; items: number }>;
  };
  labels: { overall: Counts; bySplit: Record<string, Counts> };
  sources: Counts;
  states: { workflow: string; state: string; rows: number }[];
  modelVersions: { agent: string | null; model: string | null; modelVersion: string | null; rows: number }[];
  /**
   * The audit-sample inclusion probabilities π of the labels' decisions (each row's
   * `inclusion_probability`): weight a row by 1/π to estimate over all decisions.
   */
  sampling: {
    rowsWithProbability: number;
    rowsWithoutProbability: number;
    min: number | null;
    max: number | null;
    /** Σ 1/π: the number of decisions the labelled ones stand for (Horvitz–Thompson). */
    weightTotal: number;
    bySource: { source: string; inclusionProbability: number | null; rows: number }[];
  };
  labelWindow: { first: string | null; last: string | null };
  /**
   * The structured decide states among the labels, with their leaf fields (the flat columns of CSV
   * and Parquet); [] when every label is a classification's. Absent from manifests made before issue 13.
   */
  structured?: StructuredState[];
  schema: ReturnType<typeof formatSchemas>;
  contentHash: { algorithm: 'sha256'; over: string; value: string };
}

type Db = Kysely<DB> | Transaction<DB>;

/** Canonical JSON of the filters as given (dates as ISO strings), for the record. */
function filtersRecord(f: DatasetFilters): Record<string, unknown> {
  return JSON.parse(JSON.stringify(f)) as Record<string, unknown>;
}

async function computeManifest(
  trx: Transaction<DB>,
  snapshotId: string,
  parts: { filters: Record<string, unknown>; seed: string; fractions: SplitFractions },
): Promise<Omit<SnapshotManifest, 'contentHash'>> {
  const m = sql`(${membersSql(snapshotId)}) m`;
  const totals = (
    await sql<{ rows: number; items: number; corrections: number; first: Date | null; last: Date | null }>`
      SELECT count(*)::int AS rows, count(DISTINCT item_id)::int AS items,
             count(*) FILTER (WHERE is_correction)::int AS corrections, min(created_at) AS first, max(created_at) AS last
        FROM ${m}`.execute(trx)
  ).rows[0];
  const bySplit = await sql<{ split: string; rows: number; items: number }>`
      SELECT split, count(*)::int AS rows, count(DISTINCT item_id)::int AS items FROM ${m} GROUP BY split`.execute(trx);
  const labels = await sql<{ split: string; human_label: string; rows: number }>`
      SELECT split, human_label, count(*)::int AS rows FROM ${m} GROUP BY split, human_label ORDER BY human_label, split`.execute(
    trx,
  );
  const sources = await sql<{ source: string; p: number | null; rows: number }>`
      SELECT source, audit_probability AS p, count(*)::int AS rows FROM ${m}
       GROUP BY source, audit_probability ORDER BY source, audit_probability NULLS LAST`.execute(trx);
  const sampling = (
    await sql<{ with_p: number; without_p: number; min: number | null; max: number | null; weight: number | null }>`
      SELECT count(audit_probability)::int AS with_p, (count(*) - count(audit_probability))::int AS without_p,
             min(audit_probability) AS min, max(audit_probability) AS max,
             sum(1 / audit_probability) FILTER (WHERE audit_probability > 0) AS weight
        FROM ${m}`.execute(trx)
  ).rows[0];
  const states = await sql<{ workflow: string; state: string; rows: number }>`
      SELECT workflow_name AS workflow, state, count(*)::int AS rows FROM ${m} GROUP BY 1, 2 ORDER BY 1, 2`.execute(
    trx,
  );
  const models = await sql<{ agent: string | null; model: string | null; model_version: string | null; rows: number }>`
      SELECT agent, model, model_version, count(*)::int AS rows FROM ${m}
       GROUP BY 1, 2, 3 ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3 NULLS LAST`.execute(trx);

  const splitCounts = Object.fromEntries(DATASET_SPLITS.map((s) => [s, { rows: 0, items: 0 }]));
  for (const r of bySplit.rows) splitCounts[r.split] = { rows: r.rows, items: r.items };
  const overall: Counts = {};
  const perSplit: Record<string, Counts> = Object.fromEntries(DATASET_SPLITS.map((s) => [s, {}]));
  for (const r of labels.rows) {
    overall[r.human_label] = (overall[r.human_label] ?? 0) + r.rows;
    (perSplit[r.split] as Counts)[r.human_label] = r.rows;
  }
  const structured = await structuredStates(trx, snapshotId);
  const sourceCounts: Counts = {};
  for (const r of sources.rows) sourceCounts[r.source] = (sourceCounts[r.source] ?? 0) + r.rows;
  return {
    version: 1,
    ...parts,
    counts: {
      rows: totals?.rows ?? 0,
      items: totals?.items ?? 0,
      corrections: totals?.corrections ?? 0,
      bySplit: splitCounts,
    },
    labels: { overall, bySplit: perSplit },
    sources: sourceCounts,
    states: states.rows,
    modelVersions: models.rows.map((r) => ({
      agent: r.agent,
      model: r.model,
      modelVersion: r.model_version,
      rows: r.rows,
    })),
    sampling: {
      rowsWithProbability: sampling?.with_p ?? 0,
      rowsWithoutProbability: sampling?.without_p ?? 0,
      min: sampling?.min ?? null,
      max: sampling?.max ?? null,
      weightTotal: Number(sampling?.weight ?? 0),
      bySource: sources.rows.map((r) => ({ source: r.source, inclusionProbability: r.p, rows: r.rows })),
    },
    labelWindow: { first: totals?.first?.toISOString() ?? null, last: totals?.last?.toISOString() ?? null },
    structured,
    schema: formatSchemas(flatFields(structured)),
  };
}

/** A Writable that only hashes what it is given. */
function hashingSink() {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      hash.update(chunk);
      done();
    },
  });
  return { sink, digest: () => hash.digest('hex') };
}

/**
 * Freezes the labels the filters take into a new snapshot, in the caller's transaction: its
 * members with their splits, its manifest, and the SHA-256 of its JSONL export (the content
 * hash). Audited on the `config` stream. Filters that take no label create nothing (`BAD_INPUT`).
 *
 * @example
 * const s = await db.transaction().execute((trx) =>
 *   createSnapshot(trx, { name: 'refunds-v3', filters: { workflow: 'refunds', sources: ['audit_sample'] } }, SYSTEM));
 */
export async function createSnapshot(trx: Transaction<DB>, input: DatasetCreateInput, actor: Actor): Promise<Snapshot> {
  const parsed = datasetCreateInput.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(root)',
      message: i.message,
    }));
    throw new AppError('BAD_INPUT', `Invalid snapshot: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      cause: parsed.error,
      issues,
    });
  }
  const { name, filters, fractions } = parsed.data;
  const id = randomUUID();
  const seed = parsed.data.seed ?? id;
  const inserted = await insertMembersSql(id, filters, seed, fractions).execute(trx);
  if (Number(inserted.numAffectedRows ?? 0) === 0)
    throw new AppError('BAD_INPUT', 'No labels match these filters: nothing was created', {
      issues: [{ path: 'filters', message: 'No labels match these filters' }],
    });
  const record = filtersRecord(filters);
  const manifest = await computeManifest(trx, id, { filters: record, seed, fractions });
  const { sink, digest } = hashingSink();
  await writeSnapshot(trx, id, { format: 'jsonl' }, sink);
  const contentHash = digest();
  const full: SnapshotManifest = {
    ...manifest,
    contentHash: { algorithm: 'sha256', over: 'the JSONL export of the whole snapshot', value: contentHash },
  };
  const row = await trx
    .insertInto('dataset_snapshots')
    .values({
      id,
      name,
      created_by: JSON.stringify(actor),
      filters: JSON.stringify(record),
      seed,
      fractions: JSON.stringify(fractions),
      row_count: manifest.counts.rows,
      manifest: JSON.stringify(full),
      content_hash: contentHash,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    actor,
    action: 'dataset.snapshot_created',
    data: { snapshotId: id, name, filters: record, seed, fractions, rows: manifest.counts.rows, contentHash },
  });
  return { ...summaryOf(row), manifest: full, purged: { members: 0, lastAt: null } };
}

function summaryOf(r: Omit<Selectable<DatasetSnapshotsTable>, 'manifest'>): SnapshotSummary {
  return {
    id: r.id,
    name: r.name,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    filters: r.filters,
    seed: r.seed,
    fractions: r.fractions,
    rowCount: r.row_count,
    contentHash: r.content_hash,
  };
}

/**
 * Snapshots, newest first (at most `limit`).
 *
 * @example
 * for (const s of await listSnapshots(db)) console.log(s.id, s.name, s.rowCount);
 */
export async function listSnapshots(db: Db, limit = 100): Promise<SnapshotSummary[]> {
  const rows = await db
    .selectFrom('dataset_snapshots')
    .select(['id', 'name', 'created_by', 'created_at', 'filters', 'seed', 'fractions', 'row_count', 'content_hash'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(summaryOf);
}

/** A snapshot with its manifest, or undefined. */
export async function findSnapshot(db: Db, snapshotId: string): Promise<Snapshot | undefined> {
  const r = await db.selectFrom('dataset_snapshots').selectAll().where('id', '=', snapshotId).executeTakeFirst();
  if (!r) return undefined;
  const p = await db
    .selectFrom('dataset_snapshot_rows')
    .select((eb) => [eb.fn.countAll<string>().as('members'), eb.fn.max('purged_at').as('last')])
    .where('snapshot_id', '=', snapshotId)
    .where('purged_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return {
    ...summaryOf(r),
    manifest: r.manifest as unknown as SnapshotManifest,
    purged: { members: Number(p.members), lastAt: p.last ? new Date(p.last).toISOString() : null },
  };
}

/**
 * A snapshot with its manifest; `NOT_FOUND` when there is none.
 *
 * @example
 * const { manifest } = await getSnapshot(db, id);
 */
export async function getSnapshot(db: Db, snapshotId: string): Promise<Snapshot> {
  const s = await findSnapshot(db, snapshotId);
  if (!s) throw new AppError('NOT_FOUND', `No dataset snapshot ${snapshotId}`);
  return s;
}
