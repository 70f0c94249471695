import type { DB } from '@signoff/db';
import { type Kysely, sql } from 'kysely';
import { type ErrorBound, errorBound, type Stratum } from './bounds';

export interface AccuracyFilter {
  workflow?: string | undefined;
  state?: string | undefined;
  modelVersion?: string | undefined;
  /**
   * A structured state's leaf field: only its rows. Without it the report has a row per state and
   * model version, and for structured states one more per leaf field.
   */
  field?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Confidence of the intervals (default 0.95). */
  confidence?: number | undefined;
}

export interface AccuracyRow {
  workflow: string;
  state: string;
  modelVersion: string;
  /**
   * A structured decision's leaf field the row is about (a decision is wrong on it when the
   * reviewer changed the field); null for the decision as a whole.
   */
  field: string | null;
  /**
   * The automated path: decisions accepted without a person, their error rate estimated from the
   * audit sample (each stratum of audit probability weighted by the decisions it stands for:
   * Horvitz-Thompson) with an exact, conservative interval.
   */
  automated: ErrorBound & { strata: Stratum[] };
  /**
   * Decisions sent to people, and how often the AI's answer was right there. Not a random sample:
   * these are the low-confidence and risky ones, chosen on purpose, so this says nothing about the
   * automated path.
   */
  routed: { decisions: number; labelled: number; aiRight: number; accuracy: number | null };
  /** Labels settled by adjudication, which outrank single verdicts. */
  adjudicated: number;
}

/**
 * The error of the automated path per workflow, state and model version, apart from the AI's
 * accuracy on the items routed to people. Only decisions that record their audit probability
 * count, by their final labels (`labels.final`, one per review point); of several on a decision
 * the adjudicated one wins, else the latest.
 *
 * @example
 * const rows = await accuracyReport(db, { workflow: 'support-triage' });
 * rows[0].automated; // { estimate: 0.004, lower: 0.001, upper: 0.011, labelled: 312, ... }
 */
export async function accuracyReport(db: Kysely<DB>, filter: AccuracyFilter = {}): Promise<AccuracyRow[]> {
  const delta = 1 - (filter.confidence ?? 0.95);
  const rows = [...(filter.field ? [] : await decisionParts(db, filter)), ...(await fieldParts(db, filter))];
  const groups = new Map<string, { head: Part; parts: Part[] }>();
  for (const r of rows) {
    const key = `${r.workflow}\u0000${r.state}\u0000${r.model_version}\u0000${r.field ?? ''}`;
    const g = groups.get(key) ?? { head: r, parts: [] };
    g.parts.push(r);
    groups.set(key, g);
  }
  const rank = (r: AccuracyRow) => `${r.workflow}\u0000${r.state}\u0000${r.modelVersion}\u0000${r.field ?? ''}`;
  return [...groups.values()]
    .map(({ head, parts }) => accuracyRow(head, parts, delta))
    .sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
}

/** One stratum of audit probability of one (workflow, state, model version, field), automated or routed. */
interface Part {
  workflow: string;
  state: string;
  model_version: string;
  field: string | null;
  routed: boolean;
  probability: number;
  population: number;
  labelled: number;
  wrong: number;
  adjudicated: number;
}

function accuracyRow(head: Part, parts: Part[], delta: number): AccuracyRow {
  const strata: Stratum[] = parts
    .filter((p) => !p.routed)
    .map((p) => ({ probability: p.probability, population: p.population, labelled: p.labelled, wrong: p.wrong }));
  const routed = parts.filter((p) => p.routed);
  const labelled = routed.reduce((a, p) => a + p.labelled, 0);
  const wrong = routed.reduce((a, p) => a + p.wrong, 0);
  return {
    workflow: head.workflow,
    state: head.state,
    modelVersion: head.model_version,
    field: head.field,
    automated: { ...errorBound(strata, delta, 2), strata },
    routed: {
      decisions: routed.reduce((a, p) => a + p.population, 0),
      labelled,
      aiRight: labelled - wrong,
      accuracy: labelled > 0 ? (labelled - wrong) / labelled : null,
    },
    adjudicated: parts.reduce((a, p) => a + p.adjudicated, 0),
  };
}

/** Which decisions count (those with a recorded audit probability), and the report's filter. */
function decisionFilter(filter: AccuracyFilter) {
  return sql`d.audit_probability IS NOT NULL AND d.label IS NOT NULL
       AND (${filter.workflow ?? null}::text IS NULL OR i.workflow_name = ${filter.workflow ?? null})
       AND (${filter.state ?? null}::text IS NULL OR d.state = ${filter.state ?? null})
       AND (${filter.modelVersion ?? null}::text IS NULL OR d.model_version = ${filter.modelVersion ?? null})
       AND (${filter.from ?? null}::timestamptz IS NULL OR d.created_at >= ${filter.from ?? null})
       AND (${filter.to ?? null}::timestamptz IS NULL OR d.created_at < ${filter.to ?? null})`;
}

/** The decisions as a whole: wrong when the final label differs from the AI's. */
async function decisionParts(db: Kysely<DB>, filter: AccuracyFilter): Promise<Part[]> {
  const rows = await sql<Part>`
    SELECT i.workflow_name AS workflow, d.state, d.model_version, NULL::text AS field, d.route = 'review' AS routed,
           d.audit_probability AS probability, count(*)::int AS population,
           count(lab.human_label)::int AS labelled,
           (count(*) FILTER (WHERE lab.human_label IS NOT NULL AND lab.human_label <> d.label))::int AS wrong,
           (count(*) FILTER (WHERE lab.adjudicated))::int AS adjudicated
      FROM decisions d
      JOIN items i ON i.id = d.item_id
      LEFT JOIN LATERAL (
        SELECT l.human_label, l.adjudicated FROM labels l WHERE l.decision_id = d.id AND l.final
         ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1
      ) lab ON true
     WHERE ${decisionFilter(filter)}
     GROUP BY 1, 2, 3, 4, 5, 6`.execute(db);
  return rows.rows;
}

/**
 * Structured decisions field by field: every leaf field the decision scored, wrong when the final
 * label (adjudicated first, else the latest) lists it among its `changed_fields`; labels that record
 * no field diff do not count as labelled for a field.
 */
async function fieldParts(db: Kysely<DB>, filter: AccuracyFilter): Promise<Part[]> {
  const rows = await sql<Part>`
    SELECT i.workflow_name AS workflow, d.state, d.model_version, f.field, d.route = 'review' AS routed,
           d.audit_probability AS probability, count(*)::int AS population,
           count(lab.changed_fields)::int AS labelled,
           (count(*) FILTER (WHERE f.field = ANY(lab.changed_fields)))::int AS wrong,
           (count(*) FILTER (WHERE lab.adjudicated AND lab.changed_fields IS NOT NULL))::int AS adjudicated
      FROM decisions d
      JOIN items i ON i.id = d.item_id
      CROSS JOIN LATERAL jsonb_object_keys(
        CASE WHEN jsonb_typeof(d.output->'fields') = 'object' THEN d.output->'fields' ELSE '{}'::jsonb END
      ) AS f(field)
      LEFT JOIN LATERAL (
        SELECT l.changed_fields, l.adjudicated FROM labels l WHERE l.decision_id = d.id AND l.final
         ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1
      ) lab ON true
     WHERE ${decisionFilter(filter)}
       AND (${filter.field ?? null}::text IS NULL OR f.field = ${filter.field ?? null})
     GROUP BY 1, 2, 3, 4, 5, 6`.execute(db);
  return rows.rows;
}
