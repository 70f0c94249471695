// SQL of snapshot creation, built by small pure functions and run by create-snapshot.ts.
import type { DatasetFilters, SplitFractions } from '@signoff/core';
import { type RawBuilder, sql } from 'kysely';
import { lineJoinSql, lineSql } from './snapshot-lines';
import { labelSourceSql, memberJoinsSql } from './snapshot-rows';

/**
 * The class of a label `l`, for the split's strata and the manifest's label distribution: its human
 * label, but for a structured decision's, whose label is a record (every one its own, and a text
 * the manifest must not show): `(record, corrected)` or `(record, confirmed)`.
 */
export function labelClassSql(): RawBuilder<string> {
  return sql<string>`CASE WHEN l.changed_fields IS NULL THEN l.human_label
    WHEN cardinality(l.changed_fields) > 0 THEN '(record, corrected)' ELSE '(record, confirmed)' END`;
}

/**
 * The filters as one SQL condition over `labels l`, its review task `t` and its reviewer `u`.
 * Lists match any of their values; reviewers match by id or (case-insensitive) email. Only the
 * answers of review points (`labels.final`) unless `verdicts` is `all`.
 */
export function filterCondition(f: DatasetFilters): RawBuilder<boolean> {
  // Each review point once, by its answer, unless every verdict is asked for (labels.final, 0022).
  const parts: RawBuilder<unknown>[] = [f.verdicts === 'all' ? sql`true` : sql`l.final`];
  if (f.workflow !== undefined) parts.push(sql`l.workflow_name = ${f.workflow}`);
  if (f.states) parts.push(sql`l.state = ANY(${f.states}::text[])`);
  if (f.from) parts.push(sql`l.created_at >= ${f.from}`);
  if (f.to) parts.push(sql`l.created_at < ${f.to}`);
  if (f.modelVersions) parts.push(sql`l.model_version = ANY(${f.modelVersions}::text[])`);
  if (f.sources) parts.push(sql`${labelSourceSql()} = ANY(${f.sources}::text[])`);
  if (f.reviewers) {
    const lower = f.reviewers.map((r) => r.toLowerCase());
    parts.push(sql`(l.reviewer_id::text = ANY(${lower}::text[]) OR lower(u.email) = ANY(${lower}::text[]))`);
  }
  return sql<boolean>`(${sql.join(parts, sql` AND `)})`;
}

/**
 * Inserts a snapshot's members: the labels the filters take, numbered in creation order (created_at,
 * then id), each with its item's split. The split is by item, stratified by label: each item's
 * stratum is the (state, label class: `labelClassSql`) of its first label; within a stratum items are ordered by
 * SHA-256 of `seed:item_id` and cut at round(n × train) and round(n × (train + validation)), so
 * every stratum's split sizes are within one item of their targets, and a seed always gives the
 * same split. All labels of an item share its split.
 */
export function insertMembersSql(
  snapshotId: string,
  filters: DatasetFilters,
  seed: string,
  fractions: SplitFractions,
): RawBuilder<unknown> {
  return sql`
    WITH picked AS (
      SELECT l.id, l.item_id, l.state, ${labelClassSql()} AS human_label, l.created_at
        FROM labels l
        JOIN users u ON u.id = l.reviewer_id
        LEFT JOIN reviews r ON r.id = l.review_id
        LEFT JOIN review_tasks t ON t.id = r.task_id
       WHERE ${filterCondition(filters)}
    ),
    first_labels AS (
      SELECT DISTINCT ON (item_id) item_id, state, human_label
        FROM picked
       ORDER BY item_id, created_at, id
    ),
    ranked AS (
      SELECT item_id,
             row_number() OVER w - 1 AS r,
             count(*) OVER (PARTITION BY state, human_label) AS n
        FROM first_labels
      WINDOW w AS (PARTITION BY state, human_label
                   ORDER BY sha256(convert_to(${seed} || ':' || item_id::text, 'UTF8')), item_id)
    ),
    assigned AS (
      SELECT item_id,
             CASE WHEN r < round(n * ${fractions.train}::numeric) THEN 'train'
                  WHEN r < round(n * (${fractions.train}::numeric + ${fractions.validation}::numeric)) THEN 'validation'
                  ELSE 'test' END AS split
        FROM ranked
    ),
    members AS (
      SELECT row_number() OVER (ORDER BY p.created_at, p.id) AS ordinal, p.id AS label_id, a.split
        FROM picked p JOIN assigned a USING (item_id)
    )
    INSERT INTO dataset_snapshot_rows (snapshot_id, ordinal, label_id, split, line)
    SELECT ${snapshotId}::uuid, s.ordinal, s.label_id, s.split, ${lineSql()}
      FROM ${memberJoinsSql(sql`members`, lineJoinSql())}`;
}

/** The members of a snapshot joined to their labels, for the manifest's aggregates. */
export function membersSql(snapshotId: string): RawBuilder<unknown> {
  return sql`
    SELECT s.split, l.item_id, l.workflow_name, l.state, ${labelClassSql()} AS human_label, l.is_correction, l.agent, l.model,
           l.model_version, l.created_at, ${labelSourceSql()} AS source, d.audit_probability
      FROM dataset_snapshot_rows s
      JOIN labels l ON l.id = s.label_id
      LEFT JOIN reviews r ON r.id = l.review_id
      LEFT JOIN review_tasks t ON t.id = r.task_id
      LEFT JOIN decisions d ON d.id = l.decision_id
     WHERE s.snapshot_id = ${snapshotId}`;
}
