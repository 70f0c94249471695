import {
  AppError,
  type DecisionRoute,
  type DecisionSearchFilters,
  type ItemStatus,
  SEARCH_COUNT_CAP,
  toFieldIssues,
} from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import {
  afterCursor,
  allOf,
  decisionMatch,
  encodeCursor,
  equalsIfGiven,
  FINAL_LABEL,
  inWindow,
  keysetTime,
} from './search-sql';

/** One decision as search shows and exports it: what the AI decided, under which policy, and what a person said. */
export interface DecisionSearchRow {
  decisionId: string;
  itemId: string;
  workflow: string;
  state: string;
  /** When the decision was made (ISO 8601, UTC, microseconds). */
  decidedAt: string;
  agent: string;
  model: string;
  modelVersion: string;
  promptVersion: string;
  /** The AI's label; null when the model gave none (an AI failure sent to review). */
  label: string | null;
  confidence: number;
  calibratedConfidence: number;
  confidenceMethod: string;
  route: DecisionRoute;
  reasons: { code: string; message: string }[];
  /** The auto-accept threshold routing compared the calibrated confidence with, if any. */
  threshold: number | null;
  policyVersionId: string | null;
  /** The policy version's number for its state. */
  policyVersion: number | null;
  certificateId: string | null;
  itemStatus: ItemStatus;
  /** The final human verdict (its review point's answer), or null when no person has answered. */
  verdict: {
    label: string;
    reviewerId: string;
    reviewerName: string;
    reviewerEmail: string;
    at: string;
    adjudicated: boolean;
    /** The final human label differs from the AI's. */
    overridden: boolean;
  } | null;
}

/**
 * Paths of a search row that name staff, not data subjects: the reviewer's e-mail stays unmasked
 * (as on the trail), so compliance sees who gave a verdict. The row's own item data is masked.
 */
export const DECISION_STAFF_PATHS = ['verdict.reviewerEmail'] as const;

export interface DecisionSearchPage {
  rows: DecisionSearchRow[];
  /** Pass it back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** With `includeTotal`: the matches, counted up to `SEARCH_COUNT_CAP` (`capped` when there are more). */
  total?: { count: number; capped: boolean };
}

/**
 * Parses raw input (a CLI's options, a query string) with one of the search schemas, or throws
 * `BAD_INPUT` whose issues name each field.
 */
export function parseSearch<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues);
    throw new AppError('BAD_INPUT', `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      issues,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/**
 * The ids of the users a reviewer filter names (an id, or an email in any case), looked up first:
 * given as values, the planner reads a rare reviewer's few labels by index instead of walking
 * every decision (docs/search.md: 2.7 s to 0.6 ms on 200,000 decisions).
 */
async function reviewerIds(db: Kysely<DB> | Transaction<DB>, reviewer: string | undefined) {
  if (reviewer === undefined) return undefined;
  const r = reviewer.toLowerCase();
  const { rows } = await sql<{ id: string }>`
    SELECT id FROM users WHERE id::text = ${r} OR lower(email) = ${r}`.execute(db);
  return rows.map((u) => u.id);
}

/** Every filter as one condition over decision `d`, its item `i` and its final label `h`. */
function searchConditions(f: DecisionSearchFilters, reviewers: string[] | undefined) {
  return allOf([
    inWindow('d.created_at', f.from, f.to),
    equalsIfGiven('d.workflow_name', f.workflow),
    equalsIfGiven('d.state', f.state),
    equalsIfGiven('i.status', f.itemStatus),
    equalsIfGiven('d.model', f.model),
    equalsIfGiven('d.model_version', f.modelVersion),
    equalsIfGiven('d.policy_version_id', f.policyVersionId),
    equalsIfGiven('d.certificate_id', f.certificateId),
    // Any verdict the person gave on the decision: a slot of a four-eyes point, a QA review, an adjudication.
    reviewers === undefined
      ? undefined
      : sql`d.id IN (SELECT rl.decision_id FROM labels rl
                      WHERE rl.decision_id IS NOT NULL AND rl.reviewer_id = ANY(${reviewers}::uuid[]))`,
    f.reviewed === undefined ? undefined : f.reviewed ? sql`h.id IS NOT NULL` : sql`h.id IS NULL`,
    ...decisionMatch(f),
  ]);
}

interface RawRow {
  id: string;
  item_id: string;
  workflow_name: string;
  state: string;
  decided_at: string;
  agent: string;
  model: string;
  model_version: string;
  prompt_version: string;
  label: string | null;
  confidence: number;
  calibrated_confidence: number;
  confidence_method: string;
  route: DecisionRoute;
  reasons: { code: string; message: string }[];
  threshold: number | null;
  policy_version_id: string | null;
  policy_version: number | null;
  certificate_id: string | null;
  item_status: ItemStatus;
  verdict_label: string | null;
  reviewer_id: string | null;
  reviewer_name: string | null;
  reviewer_email: string | null;
  verdict_at: string | null;
  adjudicated: boolean | null;
}

function toRow(r: RawRow): DecisionSearchRow {
  return {
    decisionId: r.id,
    itemId: r.item_id,
    workflow: r.workflow_name,
    state: r.state,
    decidedAt: r.decided_at,
    agent: r.agent,
    model: r.model,
    modelVersion: r.model_version,
    promptVersion: r.prompt_version,
    label: r.label,
    confidence: r.confidence,
    calibratedConfidence: r.calibrated_confidence,
    confidenceMethod: r.confidence_method,
    route: r.route,
    reasons: r.reasons,
    threshold: r.threshold,
    policyVersionId: r.policy_version_id,
    policyVersion: r.policy_version,
    certificateId: r.certificate_id,
    itemStatus: r.item_status,
    verdict:
      r.verdict_label === null
        ? null
        : {
            label: r.verdict_label,
            reviewerId: r.reviewer_id as string,
            reviewerName: r.reviewer_name as string,
            reviewerEmail: r.reviewer_email as string,
            at: r.verdict_at as string,
            adjudicated: r.adjudicated === true,
            overridden: r.verdict_label !== r.label,
          },
  };
}

/**
 * One page of decisions matching the filters, newest first (`decided_at DESC, id DESC`, a stable
 * order), after `cursor`. Keyset pagination: a page never repeats or skips a row of another,
 * whatever is decided meanwhile (new decisions are newer than any cursor).
 *
 * @example
 * // Every auto-accepted decision below 0.9 (calibrated) confidence last month:
 * const page = await searchDecisions(db, {
 *   routes: ['auto', 'sampled'], confidenceMax: 0.9, confidenceBasis: 'calibrated',
 *   from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z'),
 * }, { limit: 100 });
 * page.nextCursor; // pass it back for the next 100
 */
export async function searchDecisions(
  db: Kysely<DB> | Transaction<DB>,
  filters: DecisionSearchFilters,
  page: { cursor?: string | undefined; limit: number; includeTotal?: boolean },
): Promise<DecisionSearchPage> {
  const where = searchConditions(filters, await reviewerIds(db, filters.reviewer));
  const after = afterCursor('d.created_at', 'd.id', page.cursor);
  const { rows } = await sql<RawRow & { at: string }>`
    SELECT d.id, d.item_id, d.workflow_name, d.state, ${keysetTime('d.created_at')} AS decided_at,
           d.agent, d.model, d.model_version, d.prompt_version, d.label, d.confidence,
           d.calibrated_confidence, d.confidence_method, d.route, d.reasons, d.threshold,
           d.policy_version_id, pv.version AS policy_version, d.certificate_id, i.status AS item_status,
           h.human_label AS verdict_label, h.reviewer_id, u.name AS reviewer_name, u.email AS reviewer_email,
           ${keysetTime('h.created_at')} AS verdict_at, h.adjudicated
      FROM decisions d
      JOIN items i ON i.id = d.item_id
      LEFT JOIN ${FINAL_LABEL} ON true
      LEFT JOIN users u ON u.id = h.reviewer_id
      LEFT JOIN policy_versions pv ON pv.id = d.policy_version_id
     WHERE ${where} AND ${after ?? sql`true`}
     ORDER BY d.created_at DESC, d.id DESC
     LIMIT ${page.limit + 1}`.execute(db);
  const more = rows.length > page.limit;
  const shown = more ? rows.slice(0, page.limit) : rows;
  const last = shown.at(-1);
  const result: DecisionSearchPage = {
    rows: shown.map(toRow),
    nextCursor: more && last ? encodeCursor({ at: last.decided_at, id: last.id }) : null,
  };
  if (page.includeTotal) result.total = await countDecisions(db, filters);
  return result;
}

/**
 * How many decisions match, counted up to `SEARCH_COUNT_CAP` (an exact count of millions would scan
 * them all on every page; past the cap the console says "more than 10,000").
 */
export async function countDecisions(
  db: Kysely<DB> | Transaction<DB>,
  filters: DecisionSearchFilters,
): Promise<{ count: number; capped: boolean }> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM decisions d
        JOIN items i ON i.id = d.item_id
        LEFT JOIN ${FINAL_LABEL} ON true
       WHERE ${searchConditions(filters, await reviewerIds(db, filters.reviewer))}
       LIMIT ${SEARCH_COUNT_CAP + 1}) matches`.execute(db);
  const n = rows[0]?.n ?? 0;
  return n > SEARCH_COUNT_CAP ? { count: SEARCH_COUNT_CAP, capped: true } : { count: n, capped: false };
}

/**
 * Every decision matching the filters, in search order, a batch at a time (keyset), so an export of
 * any size runs in constant memory.
 *
 * @example
 * for await (const row of iterateDecisions(db, { workflow: 'support-triage', confidenceBasis: 'calibrated' })) ...
 */
export async function* iterateDecisions(
  db: Kysely<DB>,
  filters: DecisionSearchFilters,
  batchSize = 1000,
): AsyncGenerator<DecisionSearchRow> {
  let cursor: string | undefined;
  for (;;) {
    const page = await searchDecisions(db, filters, { cursor, limit: batchSize });
    yield* page.rows;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}
