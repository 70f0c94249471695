import type { Writable } from 'node:stream';
import type { DecisionSearchFilters, SearchExportFormat } from '@signoff/core';
import type { DB } from '@signoff/db';
import { DECISION_STAFF_PATHS, type DecisionSearchRow, iterateDecisions, maskPii } from '@signoff/governance';
import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import { writeChunk } from './write-stream';

/** File extension and media type of each export format of a decision search. */
export const SEARCH_EXPORT_FILES: Record<SearchExportFormat, { extension: string; contentType: string }> = {
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  json: { extension: 'json', contentType: 'application/json; charset=utf-8' },
};

/** The CSV's columns, in order: one per field of a search row, the verdict's flattened. */
export const SEARCH_CSV_COLUMNS = [
  'decision_id',
  'item_id',
  'workflow',
  'state',
  'decided_at',
  'agent',
  'model',
  'model_version',
  'prompt_version',
  'label',
  'confidence',
  'calibrated_confidence',
  'confidence_method',
  'route',
  'reasons',
  'threshold',
  'policy_version_id',
  'policy_version',
  'certificate_id',
  'item_status',
  'verdict_label',
  'reviewer_id',
  'reviewer_name',
  'reviewer_email',
  'verdict_at',
  'adjudicated',
  'overridden',
] as const;

/** A search row as a CSV record (reasons as `code: message` joined by ` | `; no verdict: empty cells). */
export function searchCsvRecord(r: DecisionSearchRow): Record<(typeof SEARCH_CSV_COLUMNS)[number], unknown> {
  const v = r.verdict;
  return {
    decision_id: r.decisionId,
    item_id: r.itemId,
    workflow: r.workflow,
    state: r.state,
    decided_at: r.decidedAt,
    agent: r.agent,
    model: r.model,
    model_version: r.modelVersion,
    prompt_version: r.promptVersion,
    label: r.label,
    confidence: r.confidence,
    calibrated_confidence: r.calibratedConfidence,
    confidence_method: r.confidenceMethod,
    route: r.route,
    reasons: r.reasons.map((x) => `${x.code}: ${x.message}`).join(' | '),
    threshold: r.threshold,
    policy_version_id: r.policyVersionId,
    policy_version: r.policyVersion,
    certificate_id: r.certificateId,
    item_status: r.itemStatus,
    verdict_label: v?.label,
    reviewer_id: v?.reviewerId,
    reviewer_name: v?.reviewerName,
    reviewer_email: v?.reviewerEmail,
    verdict_at: v?.at,
    adjudicated: v?.adjudicated,
    overridden: v?.overridden,
  };
}

const csvOptions = {
  columns: [...SEARCH_CSV_COLUMNS],
  cast: { boolean: (b: boolean) => (b ? 'true' : 'false') },
  record_delimiter: '\n',
} as const;

/** Rows rendered into one chunk before it is written: a chunk per keyset batch, not per row. */
const BATCH = 500;

/**
 * Writes every decision the filters match (the whole result set, not a page) to `out`, as CSV (a
 * header, then one record per decision) or JSON (one array of search rows), in search order,
 * reading keyset batches as the stream drains. Every row passes through `maskPii` (the configured
 * patterns) first: an e-mail address in a reason or a label leaves as `[email]`. Returns how many
 * rows were written.
 *
 * @example
 * await writeDecisionExport(db, { routes: ['auto'], confidenceMax: 0.9, confidenceBasis: 'calibrated' }, 'csv', file);
 */
export async function writeDecisionExport(
  db: Kysely<DB>,
  filters: DecisionSearchFilters,
  format: SearchExportFormat,
  out: Writable,
): Promise<number> {
  let count = 0;
  let batch: DecisionSearchRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const chunk =
      format === 'csv'
        ? stringify(batch.map(searchCsvRecord), csvOptions)
        : batch.map((r, i) => `${count - batch.length + i === 0 ? '' : ',\n'}${JSON.stringify(r)}`).join('');
    batch = [];
    await writeChunk(out, chunk);
  };
  await writeChunk(out, format === 'csv' ? stringify([SEARCH_CSV_COLUMNS], csvOptions) : '[\n');
  for await (const row of iterateDecisions(db, filters, BATCH * 2)) {
    batch.push(maskPii(row, { keep: DECISION_STAFF_PATHS }));
    count++;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  if (format === 'json') await writeChunk(out, count === 0 ? ']\n' : '\n]\n');
  return count;
}
