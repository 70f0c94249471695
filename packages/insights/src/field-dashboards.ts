// Dashboards of structured decisions (issue 13), per leaf field. A field of a decision is right
// when its decisive label (adjudicated first, else the latest, among `labels.final`) did not change
// it: `NOT (field = ANY(labels.changed_fields))`, over structured labels (`changed_fields` set).
// The field's confidence is the decision's `output.fields.<path>.confidence`.
import { type FieldSpec, leafFields } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import {
  type AccuracyPoint,
  countedDecisions,
  FOREVER,
  groupedEstimates,
  LABEL_CLOCK_SLACK_MS,
  type StratumRow,
} from './accuracy-over-time';
import { binnedCalibration, type CalibrationReport } from './calibration-report';
import {
  type FieldAccuracyInput,
  type FieldCalibrationInput,
  type FieldOptionsInput,
  fieldAccuracyInput,
  fieldCalibrationInput,
  fieldOptionsInput,
} from './inputs';
import { DECISIVE_LABEL, DECISIVE_LABEL_ORDER, labelConditions } from './label-filter';
import { allOf, equalsIfGiven, parseDashboardInput, resolveWindow, withRoomToSort } from './sql-parts';

type Db = Kysely<DB> | Transaction<DB>;

/** One leaf field's accuracy in a bucket: `accuracyOverTime`'s figures, with the field named. */
export interface FieldAccuracyPoint extends AccuracyPoint {
  field: string;
}

/** `d`'s per-field confidence records (`output.fields`) as rows `k(field, rec)`; none for a classification. */
const FIELDS_OF_DECISION = sql`CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(d.output->'fields') = 'object'
    THEN d.output->'fields' ELSE '{}'::jsonb END) AS k(field, rec)`;

/** The decisive label of each decision labelled under `conditions`, with its changed fields. */
function decisiveSql(conditions: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`SELECT DISTINCT ON (l.decision_id) l.decision_id, l.changed_fields
      FROM labels l
     WHERE ${conditions} AND ${DECISIVE_LABEL}
     ORDER BY ${DECISIVE_LABEL_ORDER}`;
}

/**
 * Per leaf field of structured decisions, per workflow, state, model version and day or ISO week
 * of the decision: the accuracy of the field (right = not changed by its decisive label) on the
 * automated path, 1 minus the Horvitz-Thompson error of the audit sample with the exact stratified
 * interval (as `accuracyOverTime`), and on the routed decisions with a two-sided Clopper-Pearson
 * interval. Counts decisions with an audit probability, an answer and a confidence record for the
 * field; `field` narrows to one. Ordered by bucket, workflow, state, model version, field.
 *
 * @example
 * const points = await fieldAccuracy(db, { workflow: 'vendor-onboarding', state: 'extract', field: 'taxId' });
 * points[0].automated.accuracy; // 0.97
 */
export async function fieldAccuracy(db: Db, input: FieldAccuracyInput = {}): Promise<FieldAccuracyPoint[]> {
  const f = parseDashboardInput(fieldAccuracyInput, input);
  const w = resolveWindow(f);
  const keys = sql`d.workflow_name AS workflow, d.state, d.model_version,
    date_trunc(${sql.lit(f.bucket)}, d.created_at AT TIME ZONE 'UTC') AS bucket,
    d.route = 'review' AS routed, d.audit_probability AS probability, k.field`;
  const counted = allOf([...countedDecisions(f, w), equalsIfGiven('k.field', f.field)]);
  const labelWindow = { from: new Date(w.from.getTime() - LABEL_CLOCK_SLACK_MS), to: FOREVER };
  const { rows } = await withRoomToSort(db, (db) =>
    sql<StratumRow & { field: string }>`
    WITH decisive AS (${decisiveSql(labelConditions(f, labelWindow))}),
    population AS (
      SELECT ${keys}, count(*)::int AS population
        FROM decisions d ${FIELDS_OF_DECISION} WHERE ${counted}
       GROUP BY 1, 2, 3, 4, 5, 6, 7
    ), labelled AS (
      SELECT ${keys}, count(*)::int AS labelled, (count(*) FILTER (WHERE k.field = ANY(x.changed_fields)))::int AS wrong
        FROM decisive x
        CROSS JOIN LATERAL (SELECT * FROM decisions d WHERE d.id = x.decision_id LIMIT 1) d
        ${FIELDS_OF_DECISION}
       WHERE x.changed_fields IS NOT NULL AND ${counted}
       GROUP BY 1, 2, 3, 4, 5, 6, 7
    )
    SELECT p.workflow, p.state, p.model_version, to_char(p.bucket, 'YYYY-MM-DD') AS bucket, p.routed, p.probability,
           p.field, p.population, coalesce(l.labelled, 0) AS labelled, coalesce(l.wrong, 0) AS wrong
      FROM population p
      LEFT JOIN labelled l USING (workflow, state, model_version, bucket, routed, probability, field)
     ORDER BY 4, 1, 2, 3, 7`.execute(db),
  );
  return groupedEstimates(rows, 1 - f.confidence, (r) => [r.bucket, r.workflow, r.state, r.model_version, r.field]).map(
    ({ head, ...estimates }) => ({
      workflow: head.workflow,
      state: head.state,
      modelVersion: head.model_version,
      bucket: head.bucket,
      field: head.field,
      ...estimates,
    }),
  );
}

export interface FieldCalibrationReport extends Omit<CalibrationReport, 'confidence'> {
  /** The field, or null: every field's points pooled. */
  field: string | null;
}

/**
 * The reliability diagram and ECE of a leaf field's confidence (the raw one the extractor gave;
 * fields are not calibrated apart) against the field's correctness, over the decisive structured
 * labels given in `[from, to)`; without `field`, every field's points pooled. Bins and ECE as
 * `calibrationReport` (PostgreSQL sums each bin, `reliabilityBins` and `expectedCalibrationError` finish).
 *
 * @example
 * const r = await fieldCalibration(db, { workflow: 'vendor-onboarding', field: 'taxId' });
 * r.ece; // 0.04
 */
export async function fieldCalibration(db: Db, input: FieldCalibrationInput = {}): Promise<FieldCalibrationReport> {
  const f = parseDashboardInput(fieldCalibrationInput, input);
  const w = resolveWindow(f);
  const { rows } = await withRoomToSort(db, (db) =>
    sql<{ bin: number; n: number; p: number; right: number }>`
    WITH decisive AS (${decisiveSql(labelConditions(f, w))}),
    points AS (
      SELECT least(greatest((k.rec->>'confidence')::float8, 0), 1) AS p,
             NOT (k.field = ANY(x.changed_fields)) AS is_right
        FROM decisive x
        CROSS JOIN LATERAL (SELECT d.output FROM decisions d WHERE d.id = x.decision_id AND d.label IS NOT NULL LIMIT 1) d
        ${FIELDS_OF_DECISION}
       WHERE x.changed_fields IS NOT NULL AND jsonb_typeof(k.rec->'confidence') = 'number'
         ${f.field === undefined ? sql`` : sql`AND k.field = ${f.field}`}
    )
    SELECT least(floor(p * ${f.bins})::int, ${f.bins - 1}) AS bin, count(*)::int AS n, sum(p)::float8 AS p,
           (count(*) FILTER (WHERE is_right))::int AS "right"
      FROM points GROUP BY 1 ORDER BY 1`.execute(db),
  );
  return { field: f.field ?? null, ...binnedCalibration(rows, f.bins) };
}

/** A structured decide state and its leaf fields, for the dashboards' field picker. */
export interface StructuredStateFields {
  workflow: string;
  state: string;
  fields: { path: string; type: FieldSpec['type'] }[];
}

/**
 * The structured decide states of the registered workflows (any version), each with its leaf
 * fields (in schema order; fields of later versions after), read from the versions' definitions.
 *
 * @example
 * await fieldOptions(db, { workflow: 'vendor-onboarding' });
 * // [{ workflow: 'vendor-onboarding', state: 'extract', fields: [{ path: 'legalName', type: 'string' }, ...] }]
 */
export async function fieldOptions(db: Db, input: FieldOptionsInput = {}): Promise<StructuredStateFields[]> {
  const f = parseDashboardInput(fieldOptionsInput, input);
  const { rows } = await sql<{ workflow: string; state: string; fields: FieldSpec[] }>`
    SELECT v.name AS workflow, s.key AS state, s.value->'output'->'fields' AS fields
      FROM workflow_versions v
      CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(v.definition->'states') = 'object'
        THEN v.definition->'states' ELSE '{}'::jsonb END) AS s(key, value)
     WHERE jsonb_typeof(s.value->'output'->'fields') = 'array'
       ${f.workflow === undefined ? sql`` : sql`AND v.name = ${f.workflow}`}
       ${f.state === undefined ? sql`` : sql`AND s.key = ${f.state}`}
     ORDER BY v.name, s.key, v.version`.execute(db);
  const out = new Map<string, StructuredStateFields>();
  for (const r of rows) {
    const key = `${r.workflow}\u0000${r.state}`;
    const s = out.get(key) ?? { workflow: r.workflow, state: r.state, fields: [] };
    for (const leaf of leafFields(r.fields))
      if (!s.fields.some((x) => x.path === leaf.path)) s.fields.push({ path: leaf.path, type: leaf.type });
    out.set(key, s);
  }
  return [...out.values()];
}
