// The wire format of `POST /api/v1/items`, shared with clients (the CLI's `submit`). No I/O here.
import { z } from 'zod';

/** Largest body for a single item. */
export const MAX_SINGLE_BODY_BYTES = 1024 * 1024;
/** Largest body for a batch (`{ items: [...] }`). */
export const MAX_BATCH_BODY_BYTES = 10 * 1024 * 1024;
/** Most items in one batch. */
export const MAX_BATCH_ITEMS = 1000;
/** Default largest `/trpc` request body (`SIGNOFF_TRPC_MAX_BODY_BYTES`); real procedures send a few KB. */
export const DEFAULT_TRPC_MAX_BODY_BYTES = 1024 * 1024;

export const fieldIssue = z.object({ path: z.string(), message: z.string() });
export type FieldIssueBody = z.infer<typeof fieldIssue>;

export const errorDetail = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.array(fieldIssue).optional(),
});
export type ErrorDetail = z.infer<typeof errorDetail>;

/** `{ error: { code, message, issues? } }`, the body of every non-2xx answer. */
export function errorBody(code: string, message: string, issues?: FieldIssueBody[]): { error: ErrorDetail } {
  return { error: { code, message, ...(issues ? { issues } : {}) } };
}

export const INGEST_STATUSES = ['created', 'existing', 'invalid', 'error'] as const;
export type IngestStatus = (typeof INGEST_STATUSES)[number];

/** What became of one item of a batch; `index` is its position in the request's `items`. */
export const ingestResult = z.object({
  index: z.number().int().min(0),
  status: z.enum(INGEST_STATUSES),
  id: z.string().optional(),
  workflow: z.string().optional(),
  version: z.number().int().optional(),
  error: errorDetail.optional(),
});
export type IngestResult = z.infer<typeof ingestResult>;

/**
 * The answer to a batch: always `200` once the batch itself is well-formed, with one result per
 * item (in request order) and the counts.
 *
 * @example
 * const { results, summary } = ingestBatchResponse.parse(await res.json());
 * if (summary.invalid) console.log(results.filter((r) => r.status === 'invalid'));
 */
export const ingestBatchResponse = z.object({
  results: z.array(ingestResult),
  summary: z.object({
    created: z.number().int(),
    existing: z.number().int(),
    invalid: z.number().int(),
    errors: z.number().int(),
  }),
});
export type IngestBatchResponse = z.infer<typeof ingestBatchResponse>;

/** Counts the results of a batch by status. */
export function summarizeResults(results: readonly IngestResult[]): IngestBatchResponse['summary'] {
  const summary = { created: 0, existing: 0, invalid: 0, errors: 0 };
  for (const r of results) {
    if (r.status === 'error') summary.errors++;
    else summary[r.status]++;
  }
  return summary;
}
