import type { ApiDeps } from '@signoff/api';
import { isAppError, itemSubmission, toFieldIssues } from '@signoff/core';
import { isDatabaseUnavailable } from '@signoff/db';
import { type SubmitItemInput, type SubmittedItem, submitItem, submitItems } from '@signoff/engine';
import type { Actor } from '@signoff/governance';
import type { IngestResult } from './ingest-schema';

/** Errors that say the item itself is wrong: resubmitting it unchanged cannot help. */
const CLIENT_ERROR_CODES = new Set(['BAD_INPUT', 'NOT_FOUND', 'INVALID_WORKFLOW']);

/**
 * Submits a batch: each item's shape is checked here, its workflow and input by `submitItems`, and
 * an invalid item creates nothing and never stops the others. The valid ones go in one transaction
 * with one multi-row statement per table (items, first audit events, first jobs). Only if that
 * transaction fails (a deadlock, a row the database refuses) are they retried one transaction
 * each, which is safe because a seen idempotency key returns the existing item. Without a database
 * it throws, and the request answers 503 with Retry-After.
 *
 * @example
 * const results = await submitBatch(deps, body.items, { type: 'api_key', id: key.id });
 */
export async function submitBatch(deps: ApiDeps, items: readonly unknown[], actor: Actor): Promise<IngestResult[]> {
  const results: IngestResult[] = new Array(items.length);
  const valid: { index: number; submission: SubmitItemInput }[] = [];
  items.forEach((raw, index) => {
    const parsed = itemSubmission.safeParse(raw);
    if (parsed.success) valid.push({ index, submission: parsed.data });
    else
      results[index] = {
        index,
        status: 'invalid',
        error: { code: 'BAD_INPUT', message: 'Invalid submission', issues: toFieldIssues(parsed.error.issues) },
      };
  });
  if (valid.length === 0) return results;
  try {
    const submitted = await deps.db.transaction().execute((trx) =>
      submitItems(
        trx,
        deps,
        valid.map((v) => v.submission),
        actor,
      ),
    );
    submitted.forEach((r, k) => {
      const index = (valid[k] as { index: number }).index;
      results[index] = r.ok
        ? submittedResult(index, r)
        : { index, status: 'invalid', error: { ...r.error, ...(r.error.issues ? { issues: r.error.issues } : {}) } };
    });
  } catch (e) {
    // Without a database nothing can be stored: the whole request answers 503 with Retry-After.
    if (isDatabaseUnavailable(e)) throw e;
    console.error(`[ingest] ${valid.length} items failed as one transaction; submitting them one by one`, e);
    for (const { index, submission } of valid) {
      try {
        const item = await deps.db.transaction().execute((trx) => submitItem(trx, deps, submission, actor));
        results[index] = submittedResult(index, item);
      } catch (itemError) {
        if (isDatabaseUnavailable(itemError)) throw itemError;
        results[index] = failedResult(index, itemError);
      }
    }
  }
  return results;
}

function submittedResult(index: number, item: SubmittedItem): IngestResult {
  return {
    index,
    status: item.created ? 'created' : 'existing',
    id: item.id,
    workflow: item.workflow,
    version: item.version,
  };
}

function failedResult(index: number, e: unknown): IngestResult {
  if (isAppError(e)) {
    const error = { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) };
    return { index, status: CLIENT_ERROR_CODES.has(e.code) ? 'invalid' : 'error', error };
  }
  console.error(`[ingest] item ${index} failed`, e);
  return { index, status: 'error', error: { code: 'INTERNAL', message: 'Internal error; the item was not stored' } };
}
