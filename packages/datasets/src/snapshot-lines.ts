// JSONL and chat lines rendered by PostgreSQL, a page per row: the fast path of writeSnapshot.
// Every byte must equal what JSON.stringify gives for the row snapshotPages builds (the JSONL's
// SHA-256 is the snapshot's content hash), so each value is rendered the way JSON.stringify does:
// row_to_json writes no spaces, keys in column order, text escaped as JSON.stringify does (\" \\
// \b \f \n \r \t, other controls as \u00xx, nothing else), booleans and integers bare; a double is
// written only where its text is JavaScript's (see `floatJson`), and a page with any other number
// is rendered in JavaScript instead.
import type { DatasetSplit } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { SNAPSHOT_FIELDS } from './snapshot-fields';
import { snapshotColumns, snapshotRowsSql } from './snapshot-rows';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * A double as JSON.stringify writes it, or SQL NULL (which makes the whole line NULL) where the
 * texts might differ. Both print the shortest digits that read back to the same double, in plain
 * notation from 1e-4 up to 1e15 (PostgreSQL switches to `1e-05` and `1e+15` outside it, JavaScript
 * only below 1e-6 and from 1e21); `x::text::float8 = x` holds only when the text has all the
 * digits (it would not with extra_float_digits below 1). -0 is `0` in both; NaN and ±Infinity fall
 * outside the range.
 */
const floatJson = (e: RawBuilder<unknown>) => sql`CASE WHEN ${e} IS NULL THEN 'null' WHEN ${e} = 0 THEN '0'
  WHEN abs(${e}) >= 1e-4 AND abs(${e}) < 1e15 AND ${e}::text::float8 = ${e} THEN ${e}::text END`;

const DOUBLES = new Set(SNAPSHOT_FIELDS.filter((f) => f.type === 'double').map((f) => f.name));

/**
 * The row as a record with the export's fields, in SNAPSHOT_FIELDS order: row_to_json of it is the
 * JSONL line (no spaces; text escaped by escape_json; booleans and integers bare). Doubles are
 * json already (row_to_json writes those as they are), SQL NULL where PostgreSQL could not write them
 * as JavaScript does.
 */
function lineRecordSql(): RawBuilder<unknown> {
  const columns = snapshotColumns().map(([name, e]) =>
    DOUBLES.has(name) ? sql`(${floatJson(e)})::json AS ${sql.id(name)}` : sql`${e} AS ${sql.id(name)}`,
  );
  return sql`(SELECT ${sql.join(columns)})`;
}

/**
 * True when a double of the line record `x` could not be rendered, or the row is a structured
 * decide state's label (`l.changed_fields` set): its objects are its labels' JSON parsed and
 * written again by JSON.stringify, which PostgreSQL cannot promise to match byte for byte (json
 * keeps a text as it is, jsonb writes spaces and its own key order), so JavaScript renders them.
 */
function unrenderedSql(): RawBuilder<boolean> {
  return sql<boolean>`(${sql.join(
    [...[...DOUBLES].map((name) => sql`x.${sql.id(name)} IS NULL`), sql`l.changed_fields IS NOT NULL`],
    sql` OR `,
  )})`;
}

/**
 * The system message's text: the agent's instructions, and for a structured state's label the
 * JSON Schema its answer follows (the assistant's message is then the corrected record's JSON).
 */
const SYSTEM_TEXT = sql`concat_ws(E'\n\n', NULLIF(i.instructions, ''),
    CASE WHEN p.structured AND i.schema IS NOT NULL
         THEN 'Answer with one JSON object that this JSON Schema accepts: ' || i.schema END)`;

/** The chat line of a row with input text: system (the agent's instructions, when any), user, assistant. */
function chatLineSql(): RawBuilder<string> {
  return sql<string>`'{"messages":[' ||
    CASE WHEN ${SYSTEM_TEXT} <> ''
         THEN '{"role":"system","content":' || to_json(${SYSTEM_TEXT})::text || '},' ELSE '' END ||
    '{"role":"user","content":' || to_json(p.input_text)::text ||
    '},{"role":"assistant","content":' || to_json(p.human_label)::text || '}]}'`;
}

/** A page of rendered lines: `text` is every line of it, each ending in a newline. */
export interface LinePage {
  text: string;
  /** Lines in `text`. */
  records: number;
  /** Rows whose line PostgreSQL could not render exactly (a page with any is rendered in JavaScript). */
  unrendered: number;
}

/** Renders the page of rows with ordinal in (after, after + size], of one split or all. */
export type PageRenderer = (
  db: Db,
  snapshotId: string,
  split: DatasetSplit | undefined,
  after: number,
  size: number,
) => Promise<LinePage>;

/** The JSONL line of a member row of `memberJoinsSql` joined with `LINE_JOIN`; NULL where PostgreSQL could not render it exactly. */
export function lineSql(): RawBuilder<string | null> {
  return sql<string | null>`CASE WHEN ${unrenderedSql()} THEN NULL ELSE row_to_json(x)::text END`;
}

/** The join that gives `lineSql` its record. */
export function lineJoinSql(): RawBuilder<unknown> {
  return sql`CROSS JOIN LATERAL ${lineRecordSql()} x`;
}

/**
 * One page of JSONL rendered from the tables the rows point to, as one text (the JSONL of a
 * snapshot created before lines were stored).
 */
export const renderedJsonlPage: PageRenderer = async (db, snapshotId, split, after, size) => {
  const r = await sql<{ text: string | null; records: number; unrendered: number }>`
    SELECT string_agg(${lineSql()} || E'\n', '' ORDER BY s.ordinal) AS text,
           count(*)::int AS records, count(*) FILTER (WHERE ${unrenderedSql()})::int AS unrendered
      FROM ${snapshotRowsSql(snapshotId, split, after, size, lineJoinSql())}`.execute(db);
  const row = r.rows[0];
  return { text: row?.text ?? '', records: row?.records ?? 0, unrendered: row?.unrendered ?? 0 };
};

/** One page of JSONL: the lines stored at creation, in order; rendered when any is missing. */
export const jsonlPage: PageRenderer = async (db, snapshotId, split, after, size) => {
  const { rows } = await sql<{ line: string | null }>`
    SELECT line FROM dataset_snapshot_rows s
     WHERE s.snapshot_id = ${snapshotId} AND s.ordinal > ${after} AND s.ordinal <= ${after + size}
       ${split ? sql`AND s.split = ${split}` : sql``}
     ORDER BY s.ordinal`.execute(db);
  let text = '';
  for (const { line } of rows) {
    if (line === null) return renderedJsonlPage(db, snapshotId, split, after, size);
    text += `${line}\n`;
  }
  return { text, records: rows.length, unrendered: 0 };
};

/** One page of chat JSONL (rows with input text only), as one text; the instructions read once per (version, state). */
export const chatPage: PageRenderer = async (db, snapshotId, split, after, size) => {
  const r = await sql<{ text: string | null; records: number }>`
    WITH p AS (
      SELECT s.ordinal, l.workflow_version_id, l.state, l.input_text, l.human_label,
             l.changed_fields IS NOT NULL AS structured
        FROM ${snapshotRowsSql(snapshotId, split, after, size)} AND l.input_text IS NOT NULL
    ),
    i AS (
      SELECT k.workflow_version_id, k.state,
             v.definition #>> ARRAY['states', k.state, 'agent', 'instructions'] AS instructions,
             v.definition #>> ARRAY['states', k.state, 'output', 'jsonSchema'] AS schema
        FROM (SELECT DISTINCT workflow_version_id, state FROM p) k
        JOIN workflow_versions v ON v.id = k.workflow_version_id
    )
    SELECT string_agg(${chatLineSql()} || E'\n', '' ORDER BY p.ordinal) AS text, count(*)::int AS records
      FROM p LEFT JOIN i USING (workflow_version_id, state)`.execute(db);
  const row = r.rows[0];
  return { text: row?.text ?? '', records: row?.records ?? 0, unrendered: 0 };
};
