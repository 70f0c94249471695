import type { DatasetSplit, LabelSource } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { SnapshotRow } from './snapshot-fields';
import { structuredPart } from './snapshot-structured';

/** Where a label came from, in SQL over `labels l` and its review task `t` (left-joined). */
export function labelSourceSql(): RawBuilder<LabelSource> {
  return sql<LabelSource>`CASE WHEN l.adjudicated THEN 'adjudication' WHEN t.kind = 'qa' THEN 'audit_sample' ELSE 'review' END`;
}

/** A page of a snapshot's rows, with each row's workflow version (for the agent's instructions). */
export interface SnapshotPage {
  rows: SnapshotRow[];
  workflowVersionIds: string[];
}

/** Rows per page read from PostgreSQL (and per Parquet row group). */
export const SNAPSHOT_PAGE = 10_000;

interface RawRow extends Omit<SnapshotRow, 'source' | 'fields' | 'ai_fields' | 'changed_fields'> {
  source: LabelSource;
  workflow_version_id: string;
  /** The label's changed leaf fields: not NULL only for a structured decide state's label. */
  label_changed_fields: string[] | null;
}

/** Each exported field's SQL over the joins of `snapshotRowsSql`, in SNAPSHOT_FIELDS order. */
export function snapshotColumns(): [keyof SnapshotRow, RawBuilder<unknown>][] {
  return [
    ['label_id', sql`l.id`],
    ['item_id', sql`l.item_id`],
    ['split', sql`s.split`],
    ['workflow', sql`l.workflow_name`],
    ['workflow_version', sql`v.version`],
    ['state', sql`l.state`],
    ['source', labelSourceSql()],
    ['decision_id', sql`l.decision_id`],
    ['agent', sql`l.agent`],
    ['model', sql`l.model`],
    ['model_version', sql`l.model_version`],
    ['prompt_version', sql`l.prompt_version`],
    ['input_text', sql`l.input_text`],
    ['ai_label', sql`l.ai_label`],
    ['ai_confidence', sql`l.ai_confidence`],
    ['human_label', sql`l.human_label`],
    ['is_correction', sql`l.is_correction`],
    ['reason', sql`l.reason`],
    ['reviewer_id', sql`l.reviewer_id`],
    ['reviewer_email', sql`u.email`],
    ['verdict', sql`COALESCE(r.verdict, 'adjudicated')`],
    ['adjudicated', sql`l.adjudicated`],
    ['final', sql`l.final`],
    ['decision_route', sql`d.route`],
    ['inclusion_probability', sql`d.audit_probability`],
    ['created_at', sql`to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`],
  ];
}

/**
 * A page of a snapshot's members with everything they export, `s` (the member row), `l` (its
 * label), `v`, `u`, `r`, `t` and `d`: the rows whose ordinal is in (after, after + size], of one
 * split or all. Ordinals are dense (1..n), so a page is a range of the primary key whatever the
 * planner thinks of the table's statistics (a fresh snapshot has none), and no page ever reads more
 * than `size` rows: a LIMIT instead let the planner join or sort every remaining row for each
 * page, quadratic in the snapshot's size.
 */
export function snapshotRowsSql(
  snapshotId: string,
  split: DatasetSplit | undefined,
  after: number,
  size: number,
  /** Joined after the others (a LATERAL over them). */
  more: RawBuilder<unknown> = sql``,
): RawBuilder<unknown> {
  return sql`${memberJoinsSql(sql`dataset_snapshot_rows`, more)}
     WHERE s.snapshot_id = ${snapshotId} AND s.ordinal > ${after} AND s.ordinal <= ${after + size}
       ${split ? sql`AND s.split = ${split}` : sql``}`;
}

/** Members `s` (rows with split and label_id: the table, or those being inserted) joined to what they export. */
export function memberJoinsSql(members: RawBuilder<unknown>, more: RawBuilder<unknown> = sql``): RawBuilder<unknown> {
  return sql`${members} s
      JOIN labels l ON l.id = s.label_id
      JOIN workflow_versions v ON v.id = l.workflow_version_id
      JOIN users u ON u.id = l.reviewer_id
      LEFT JOIN reviews r ON r.id = l.review_id
      LEFT JOIN review_tasks t ON t.id = r.task_id
      LEFT JOIN decisions d ON d.id = l.decision_id
      ${more}`;
}

/** The query for one page of a snapshot's rows, in export order. */
function pageQuery(snapshotId: string, split: DatasetSplit | undefined, after: number, size: number) {
  const columns = snapshotColumns().map(([name, e]) => sql`${e} AS ${sql.id(name)}`);
  return sql<RawRow>`
    SELECT ${sql.join(columns)}, l.workflow_version_id, l.changed_fields AS label_changed_fields
      FROM ${snapshotRowsSql(snapshotId, split, after, size)}
     ORDER BY s.ordinal`;
}

/**
 * Streams a snapshot's rows (all, or one split's) in export order, a page at a time (keyset
 * pagination on the row's ordinal), so an export of any size runs in constant memory.
 *
 * @example
 * for await (const page of snapshotPages(db, id, 'train')) for (const row of page.rows) console.log(row.human_label);
 */
export async function* snapshotPages(
  db: Kysely<DB> | Transaction<DB>,
  snapshotId: string,
  split?: DatasetSplit,
  pageSize = SNAPSHOT_PAGE,
): AsyncGenerator<SnapshotPage> {
  const total = await lastOrdinal(db, snapshotId);
  // The next page is asked for before this one is handed on: PostgreSQL reads while the caller writes.
  let next = prefetch(readRowsPage(db, snapshotId, split, 0, pageSize));
  for (let after = 0; after < total; after += pageSize) {
    const page = await next;
    if (after + pageSize < total) next = prefetch(readRowsPage(db, snapshotId, split, after + pageSize, pageSize));
    if (page.rows.length > 0) yield page;
  }
}

/** A promise whose rejection is handled when awaited; this keeps a consumer that stops early from leaving it unhandled. */
export function prefetch<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** The rows of a snapshot whose ordinal is in (after, after + size], of one split or all, in export order. */
export async function readRowsPage(
  db: Kysely<DB> | Transaction<DB>,
  snapshotId: string,
  split: DatasetSplit | undefined,
  after: number,
  size: number,
): Promise<SnapshotPage> {
  const { rows: raw } = await pageQuery(snapshotId, split, after, size).execute(db);
  const rows: SnapshotRow[] = new Array(raw.length);
  const workflowVersionIds: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i] as RawRow;
    // Keys in the order of SNAPSHOT_FIELDS: JSONL lines are these objects as they are.
    rows[i] = {
      label_id: r.label_id,
      item_id: r.item_id,
      split: r.split,
      workflow: r.workflow,
      workflow_version: r.workflow_version,
      state: r.state,
      source: r.source,
      decision_id: r.decision_id,
      agent: r.agent,
      model: r.model,
      model_version: r.model_version,
      prompt_version: r.prompt_version,
      input_text: r.input_text,
      ai_label: r.ai_label,
      ai_confidence: r.ai_confidence,
      human_label: r.human_label,
      is_correction: r.is_correction,
      reason: r.reason,
      reviewer_id: r.reviewer_id,
      reviewer_email: r.reviewer_email,
      verdict: r.verdict,
      adjudicated: r.adjudicated,
      final: r.final,
      decision_route: r.decision_route,
      inclusion_probability: r.inclusion_probability,
      created_at: r.created_at,
      // A structured label's objects and changed fields, after created_at (nothing for the others).
      ...structuredPart(r.label_changed_fields, r.ai_label, r.human_label),
    };
    workflowVersionIds[i] = r.workflow_version_id;
  }
  return { rows, workflowVersionIds };
}

/** The highest ordinal of a snapshot (its row count): pages are ranges of 1..n. */
export async function lastOrdinal(db: Kysely<DB> | Transaction<DB>, snapshotId: string): Promise<number> {
  const last = await sql<{ n: number | null }>`
    SELECT max(ordinal) AS n FROM dataset_snapshot_rows WHERE snapshot_id = ${snapshotId}`.execute(db);
  return last.rows[0]?.n ?? 0;
}
