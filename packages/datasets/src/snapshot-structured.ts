// Structured labels in snapshots (issue 13): a label of a structured decide state is an object
// (its canonical JSON in `human_label`). JSONL rows of such labels carry the objects themselves
// (`fields`, `ai_fields`) and the leaf fields the person changed (`changed_fields`); CSV and
// Parquet, which are flat, get one column per leaf field of the snapshot's structured states.
import { type FieldSpec, leafFields, parseStructuredLabel, valueAt } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';

type Db = Kysely<DB> | Transaction<DB>;

/** The leaf fields of one structured state of a snapshot (from its workflow versions' definitions). */
export interface StructuredState {
  workflow: string;
  state: string;
  fields: { path: string; type: FieldSpec['type'] }[];
}

/** A flat column of a leaf field: its value type in CSV and Parquet. */
export type FlatType = 'string' | 'double' | 'boolean' | 'json';

/** One leaf field as flat columns: `fields.<path>` (the person's value) and `ai_fields.<path>` (the AI's). */
export interface FlatField {
  path: string;
  type: FlatType;
}

/** The three keys a structured row adds to its JSONL object, after `created_at`. */
export interface StructuredRowPart {
  /** The person's object (the corrected record); null once retention purged it. */
  fields?: Record<string, unknown> | null;
  /** The AI's object; null when the AI gave none (or once purged). */
  ai_fields?: Record<string, unknown> | null;
  /** The leaf fields the person changed; [] when they confirmed every field. */
  changed_fields?: string[];
}

/**
 * The structured part of a row from its label's columns: nothing for a classification
 * (`changed_fields` NULL), so those rows keep exactly the keys (and bytes) they always had.
 */
export function structuredPart(
  changedFields: string[] | null,
  aiLabel: string | null,
  humanLabel: string,
): StructuredRowPart {
  if (changedFields === null) return {};
  return {
    fields: parseStructuredLabel(humanLabel) ?? null,
    ai_fields: parseStructuredLabel(aiLabel) ?? null,
    changed_fields: changedFields,
  };
}

function flatType(type: FieldSpec['type']): FlatType {
  switch (type) {
    case 'number':
    case 'integer':
      // Parquet DOUBLE: an integer field may exceed INT32, and a double holds every safe integer.
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'array':
    case 'object':
      return 'json';
    default:
      return 'string';
  }
}

/**
 * The flat columns of a snapshot's structured states: every leaf path once, in the order of the
 * states (by workflow, state) and of their fields. A path whose type differs between states (or
 * versions) becomes a `json` column (its values as JSON text).
 */
export function flatFields(states: readonly StructuredState[]): FlatField[] {
  const out = new Map<string, FlatType>();
  for (const s of states)
    for (const f of s.fields) {
      const t = flatType(f.type);
      const known = out.get(f.path);
      out.set(f.path, known === undefined || known === t ? t : 'json');
    }
  return [...out].map(([path, type]) => ({ path, type }));
}

/** A leaf value as its flat column holds it: arrays, objects and mismatched types as JSON text. */
function flatValue(v: unknown, type: FlatType): unknown {
  if (v === undefined || v === null) return null;
  if (type === 'json') return typeof v === 'string' ? v : JSON.stringify(v);
  if (type === 'string') return typeof v === 'string' ? v : JSON.stringify(v);
  if (type === 'double') return typeof v === 'number' ? v : null;
  return typeof v === 'boolean' ? v : null;
}

/** The flat column names of the leaf fields, in order: `fields.<path>`, `ai_fields.<path>` per field, then `changed_fields`. */
export function flatColumnNames(fields: readonly FlatField[]): string[] {
  if (fields.length === 0) return [];
  return [...fields.flatMap((f) => [`fields.${f.path}`, `ai_fields.${f.path}`]), 'changed_fields'];
}

/**
 * A row's flat structured columns (keyed by `flatColumnNames`): each leaf field's value in the
 * person's and the AI's object, and `changed_fields` as a JSON array; all null for a classification.
 */
export function flatStructured(row: StructuredRowPart, fields: readonly FlatField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields.length === 0) return out;
  for (const f of fields) {
    out[`fields.${f.path}`] = flatValue(row.fields ? valueAt(row.fields, f.path) : null, f.type);
    out[`ai_fields.${f.path}`] = flatValue(row.ai_fields ? valueAt(row.ai_fields, f.path) : null, f.type);
  }
  out.changed_fields = row.changed_fields ? JSON.stringify(row.changed_fields) : null;
  return out;
}

/**
 * The structured states of a snapshot's members, with their leaf fields read from the workflow
 * versions their labels were given under (`definition.states.<state>.output.fields`).
 */
export async function structuredStates(db: Db, snapshotId: string): Promise<StructuredState[]> {
  const { rows } = await sql<{ workflow: string; state: string; fields: FieldSpec[] | null }>`
    WITH k AS (
      SELECT DISTINCT l.workflow_version_id, l.state
        FROM dataset_snapshot_rows s JOIN labels l ON l.id = s.label_id
       WHERE s.snapshot_id = ${snapshotId} AND l.changed_fields IS NOT NULL
    )
    SELECT v.name AS workflow, k.state, v.definition #> ARRAY['states', k.state, 'output', 'fields'] AS fields
      FROM k JOIN workflow_versions v ON v.id = k.workflow_version_id
     ORDER BY v.name, k.state, v.version`.execute(db);
  const states = new Map<string, StructuredState>();
  for (const r of rows) {
    const key = `${r.workflow}\u0000${r.state}`;
    const s = states.get(key) ?? { workflow: r.workflow, state: r.state, fields: [] };
    for (const f of leafFields(Array.isArray(r.fields) ? r.fields : []))
      if (!s.fields.some((x) => x.path === f.path && x.type === f.type)) s.fields.push({ path: f.path, type: f.type });
    states.set(key, s);
  }
  return [...states.values()];
}
