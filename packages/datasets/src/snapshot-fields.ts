import type { DatasetSplit, LabelSource } from '@signoff/core';
import { type FlatField, flatColumnNames, type StructuredRowPart } from './snapshot-structured';

/**
 * One row of a snapshot export: a label, flat, with its split and where it came from. A label of a
 * structured decide state also has `fields`, `ai_fields` and `changed_fields` (after `created_at`).
 */
export interface SnapshotRow extends StructuredRowPart {
  label_id: string;
  item_id: string;
  split: DatasetSplit;
  workflow: string;
  workflow_version: number;
  state: string;
  source: LabelSource;
  decision_id: string | null;
  agent: string | null;
  model: string | null;
  model_version: string | null;
  prompt_version: string | null;
  input_text: string | null;
  ai_label: string | null;
  ai_confidence: number | null;
  human_label: string;
  is_correction: boolean;
  reason: string | null;
  reviewer_id: string;
  reviewer_email: string;
  verdict: string;
  adjudicated: boolean;
  /**
   * The answer of its review point: false only for the other verdicts of a multi-reviewer point
   * (snapshots with `verdicts: 'all'`).
   */
  final: boolean;
  /** The decision's route: auto, review or sampled; null for a label without a decision. */
  decision_route: string | null;
  /** π, the probability that the decision was drawn for a person to look at (1 when routed); weight by 1/π. */
  inclusion_probability: number | null;
  created_at: string;
}

export type FieldType = 'string' | 'integer' | 'double' | 'boolean' | 'timestamp';

/** The columns of the JSONL, CSV and Parquet exports, in order (JSONL keys, CSV header, Parquet schema). */
export const SNAPSHOT_FIELDS: readonly { name: keyof SnapshotRow; type: FieldType; nullable: boolean }[] = [
  { name: 'label_id', type: 'string', nullable: false },
  { name: 'item_id', type: 'string', nullable: false },
  { name: 'split', type: 'string', nullable: false },
  { name: 'workflow', type: 'string', nullable: false },
  { name: 'workflow_version', type: 'integer', nullable: false },
  { name: 'state', type: 'string', nullable: false },
  { name: 'source', type: 'string', nullable: false },
  { name: 'decision_id', type: 'string', nullable: true },
  { name: 'agent', type: 'string', nullable: true },
  { name: 'model', type: 'string', nullable: true },
  { name: 'model_version', type: 'string', nullable: true },
  { name: 'prompt_version', type: 'string', nullable: true },
  { name: 'input_text', type: 'string', nullable: true },
  { name: 'ai_label', type: 'string', nullable: true },
  { name: 'ai_confidence', type: 'double', nullable: true },
  { name: 'human_label', type: 'string', nullable: false },
  { name: 'is_correction', type: 'boolean', nullable: false },
  { name: 'reason', type: 'string', nullable: true },
  { name: 'reviewer_id', type: 'string', nullable: false },
  { name: 'reviewer_email', type: 'string', nullable: false },
  { name: 'verdict', type: 'string', nullable: false },
  { name: 'adjudicated', type: 'boolean', nullable: false },
  { name: 'final', type: 'boolean', nullable: false },
  { name: 'decision_route', type: 'string', nullable: true },
  { name: 'inclusion_probability', type: 'double', nullable: true },
  { name: 'created_at', type: 'timestamp', nullable: false },
];

/** The JSONL keys a structured row adds after `created_at`. */
const STRUCTURED_KEYS = [
  { name: 'fields', type: "object (the person's record)", nullable: true },
  { name: 'ai_fields', type: "object (the AI's record)", nullable: true },
  { name: 'changed_fields', type: 'array of leaf field paths', nullable: false },
];

/** The schema of each format, for the manifest; `flat`: the leaf fields of the snapshot's structured states. */
export function formatSchemas(flat: readonly FlatField[] = []) {
  const columns = SNAPSHOT_FIELDS.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable }));
  const flatColumns = flatColumnNames(flat).map((name) => {
    const f = flat.find((x) => name === `fields.${x.path}` || name === `ai_fields.${x.path}`);
    return { name, type: f ? (f.type === 'json' ? 'string (JSON)' : f.type) : 'string (JSON array)', nullable: true };
  });
  return {
    jsonl: {
      description:
        'one JSON object per line, keys in this order; timestamps as ISO 8601 (UTC). a label of a structured decide state also has the `structured` keys, after created_at',
      columns,
      ...(flat.length > 0 ? { structured: STRUCTURED_KEYS } : {}),
    },
    csv: {
      description:
        'RFC 4180, a header line, these columns; null as an empty field, booleans as true/false; arrays and objects as JSON text',
      columns: [...columns, ...flatColumns],
    },
    parquet: {
      description:
        'these columns: string = BYTE_ARRAY UTF8, integer = INT32, double = DOUBLE, boolean = BOOLEAN, timestamp = INT64 TIMESTAMP_MILLIS',
      columns: [...columns, ...flatColumns],
    },
    chat: {
      description:
        'OpenAI fine-tuning chat JSONL: {"messages": [system (the agent\'s instructions, when it has any; for a structured state also its JSON Schema), user (input_text), assistant (human_label: for a structured state the JSON of the corrected record)]}; labels without input text are left out',
      columns: [{ name: 'messages', type: 'array of {role, content}', nullable: false }],
    },
  };
}
