// SQL fragments of decision search and of the items list's decision filters, built by small pure
// functions (no I/O) so each filter's WHERE is one readable line, and a keyset cursor that keeps
// PostgreSQL's microseconds.
import { AppError, type ConfidenceBasis, type DecisionRoute } from '@signoff/core';
import { type RawBuilder, sql } from 'kysely';

/**
 * The final human label of decision `d` (alias `h`): its review point's answer (`labels.final`),
 * an adjudication first, else the latest. Joined `LEFT JOIN LATERAL ... ON true`.
 */
export const FINAL_LABEL = sql`LATERAL (
  SELECT l.id, l.human_label, l.reviewer_id, l.adjudicated, l.created_at
    FROM labels l
   WHERE l.decision_id = d.id AND l.final
   ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC
   LIMIT 1) h`;

/** `a AND b AND ...` of the conditions given (undefined ones left out); `true` when none are. */
export function allOf(conditions: ReadonlyArray<RawBuilder<unknown> | undefined>): RawBuilder<unknown> {
  const given = conditions.filter((c): c is RawBuilder<unknown> => c !== undefined);
  return given.length === 0 ? sql`true` : sql.join(given, sql` AND `);
}

/** `column = value` when a value is given. */
export function equalsIfGiven(column: string, value: string | undefined): RawBuilder<unknown> | undefined {
  return value === undefined ? undefined : sql`${sql.ref(column)} = ${value}`;
}

/** `column` in `[from, to)`, either end optional. */
export function inWindow(column: string, from: Date | undefined, to: Date | undefined) {
  return allOf([
    from === undefined ? undefined : sql`${sql.ref(column)} >= ${from}`,
    to === undefined ? undefined : sql`${sql.ref(column)} < ${to}`,
  ]);
}

/** What a decision (alias `d`, its final label `h`) must be for the filters shared with the items list. */
export interface DecisionMatch {
  routes?: readonly DecisionRoute[] | undefined;
  overridden?: boolean | undefined;
  confidenceMin?: number | undefined;
  confidenceMax?: number | undefined;
  confidenceBasis: ConfidenceBasis;
}

/**
 * The route, override and confidence conditions over `d` and `h`. Overridden: a final human label
 * exists and is not the AI's label (a decision without a label, an AI failure a person answered,
 * counts as overridden). Confidence in `[min, max)`.
 */
export function decisionMatch(f: DecisionMatch): RawBuilder<unknown>[] {
  const confidence = sql.ref(f.confidenceBasis === 'raw' ? 'd.confidence' : 'd.calibrated_confidence');
  const overridden = sql`(h.id IS NOT NULL AND h.human_label IS DISTINCT FROM d.label)`;
  return [
    f.routes === undefined ? undefined : sql`d.route = ANY(${[...f.routes]}::text[])`,
    f.overridden === undefined ? undefined : f.overridden ? overridden : sql`NOT ${overridden}`,
    f.confidenceMin === undefined ? undefined : sql`${confidence} >= ${f.confidenceMin}`,
    f.confidenceMax === undefined ? undefined : sql`${confidence} < ${f.confidenceMax}`,
  ].filter((c): c is RawBuilder<unknown> => c !== undefined);
}

/** A keyset position: a row's time as PostgreSQL text (microseconds, UTC) and its id. */
export interface Keyset {
  at: string;
  id: string;
}

/** `column` as UTC ISO 8601 text with microseconds, for a cursor (a JavaScript Date keeps milliseconds). */
export function keysetTime(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

const KEYSET_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The opaque `nextCursor` a page hands out. */
export function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify([k.at, k.id])).toString('base64url');
}

/** The keyset of a cursor, or `BAD_INPUT` on the `cursor` field for anything this code did not hand out. */
export function decodeCursor(cursor: string): Keyset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    KEYSET_AT.test(parsed[0]) &&
    typeof parsed[1] === 'string' &&
    UUID.test(parsed[1])
  )
    return { at: parsed[0], id: parsed[1] };
  const message = 'Not a cursor this search returned: pass the nextCursor of the previous page';
  throw new AppError('BAD_INPUT', `Invalid input: cursor: ${message}`, { issues: [{ path: 'cursor', message }] });
}

/** Rows after `cursor` in `(time DESC, id DESC)` order: strictly older, or as old with a smaller id. */
export function afterCursor(timeColumn: string, idColumn: string, cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  const k = decodeCursor(cursor);
  return sql`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) < (${k.at}::timestamptz, ${k.id}::uuid)`;
}
