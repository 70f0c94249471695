import type { ApiDeps } from '@signoff/api';
import { isAppError, itemSubmission, toFieldIssues } from '@signoff/core';
import { type SubmitItemInput, type SubmittedItem, submitItem, type WorkflowRegistry } from '@signoff/engine';
import type { Actor } from '@signoff/governance';
import type { ErrorDetail, IngestResult } from './ingest-schema';

/** Errors that say the item itself is wrong: resubmitting it unchanged cannot help. */
const CLIENT_ERROR_CODES = new Set(['BAD_INPUT', 'NOT_FOUND', 'INVALID_WORKFLOW']);

/**
 * Items per transaction. Each item holds an advisory lock (its audit stream) and its key's index
 * entry until commit; bounding them keeps a 1000-item batch well inside PostgreSQL's shared lock
 * table (64 per connection by default) and keeps concurrent batches from waiting long on each other.
 */
const ITEMS_PER_TRANSACTION = 250;

type CheckedSubmission = { ok: true; submission: SubmitItemInput } | { ok: false; error: ErrorDetail };

/**
 * Validates one submission without touching the database: its shape, its workflow, and its input
 * against the workflow's schema. Issue paths are relative to the item (`input.customer.email`).
 *
 * @example
 * const checked = checkSubmission(registry, { workflow: 'support-triage', input: {} });
 * if (!checked.ok) console.log(checked.error.issues);
 */
export function checkSubmission(registry: WorkflowRegistry, raw: unknown): CheckedSubmission {
  const parsed = itemSubmission.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      error: { code: 'BAD_INPUT', message: 'Invalid submission', issues: toFieldIssues(parsed.error.issues) },
    };
  const wf = registry.latest(parsed.data.workflow);
  if (!wf) {
    const known = registry.names().join(', ') || 'none';
    return {
      ok: false,
      error: { code: 'NOT_FOUND', message: `Unknown workflow "${parsed.data.workflow}" (registered: ${known})` },
    };
  }
  const input = wf.definition.input.safeParse(parsed.data.input);
  if (!input.success)
    return {
      ok: false,
      error: {
        code: 'BAD_INPUT',
        message: `Input does not match workflow "${wf.definition.name}"`,
        issues: toFieldIssues(input.error.issues, 'input'),
      },
    };
  return { ok: true, submission: parsed.data };
}

/**
 * Submits a batch item by item: an invalid item is reported and creates nothing, and never stops
 * the others. The valid ones go in a few transactions (`ITEMS_PER_TRANSACTION` each); only if one
 * fails (a deadlock, an item the engine refuses after all, a lost connection) are its items retried
 * one transaction each, which is safe because `submitItem` returns the existing item for a seen
 * idempotency key.
 *
 * @example
 * const results = await submitBatch(deps, body.items, { type: 'api_key', id: key.id });
 */
export async function submitBatch(deps: ApiDeps, items: readonly unknown[], actor: Actor): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  const valid: { index: number; submission: SubmitItemInput }[] = [];
  items.forEach((raw, index) => {
    const checked = checkSubmission(deps.registry, raw);
    if (checked.ok) valid.push({ index, submission: checked.submission });
    else results[index] = { index, status: 'invalid', error: checked.error };
  });
  // Every batch takes the idempotency keys' index locks in the same order, so two batches that
  // share keys wait for each other instead of deadlocking.
  valid.sort((a, b) => compareLockOrder(a.submission, b.submission));
  for (let i = 0; i < valid.length; i += ITEMS_PER_TRANSACTION)
    await submitChunk(deps, valid.slice(i, i + ITEMS_PER_TRANSACTION), actor, results);
  return results;
}

async function submitChunk(
  deps: ApiDeps,
  chunk: readonly { index: number; submission: SubmitItemInput }[],
  actor: Actor,
  results: IngestResult[],
): Promise<void> {
  try {
    const submitted = await deps.db.transaction().execute(async (trx) => {
      const out: SubmittedItem[] = [];
      for (const v of chunk) out.push(await submitItem(trx, deps, v.submission, actor));
      return out;
    });
    submitted.forEach((item, i) => {
      const index = (chunk[i] as { index: number }).index;
      results[index] = submittedResult(index, item);
    });
  } catch (e) {
    console.error(`[ingest] ${chunk.length} items failed as one transaction; submitting them one by one`, e);
    for (const { index, submission } of chunk) {
      try {
        const item = await deps.db.transaction().execute((trx) => submitItem(trx, deps, submission, actor));
        results[index] = submittedResult(index, item);
      } catch (itemError) {
        results[index] = failedResult(index, itemError);
      }
    }
  }
}

function compareLockOrder(a: SubmitItemInput, b: SubmitItemInput): number {
  const ka = `${a.workflow}\u0000${a.idempotencyKey ?? ''}`;
  const kb = `${b.workflow}\u0000${b.idempotencyKey ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
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
