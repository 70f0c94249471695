// Decision search and the items list's filters: what the server, the CLI and the console agree on.
// No I/O: the console bundles this file (`@signoff/core/search`).
import { z } from 'zod';
import { storedDate } from './dataset-schemas';
import { ITEM_STATUSES } from './schemas';

/**
 * How a decision was routed: `auto` (accepted without a person), `review` (sent to a person),
 * `sampled` (accepted, and drawn for a QA review as well). Auto-accepted decisions are `auto` and
 * `sampled`.
 */
export const DECISION_ROUTES = ['auto', 'review', 'sampled'] as const;
export type DecisionRoute = (typeof DECISION_ROUTES)[number];

/** Which confidence a range filter reads: the calibrated one (what routing used) or the model's raw one. */
export const CONFIDENCE_BASES = ['calibrated', 'raw'] as const;
export type ConfidenceBasis = (typeof CONFIDENCE_BASES)[number];

/** The most rows one page of a search or of the items list holds. */
export const SEARCH_PAGE_MAX = 200;

/** A search counts its matches up to this many; past it, the total reads "more than". */
export const SEARCH_COUNT_CAP = 10_000;

const name = z.string().trim().min(1, 'Must not be empty').max(200, 'At most 200 characters');
const probability = z
  .number({ error: 'Expected a number from 0 to 1' })
  .min(0, 'Expected a number from 0 to 1')
  .max(1, 'Expected a number from 0 to 1');
const id = (what: string) => z.uuid(`Expected the UUID of a ${what}`);

/** What every search and list shares: a time window, a workflow, routes, overrides and a confidence range. */
const common = {
  /** At or after this time (the decision's, or the item's creation for the items list). */
  from: storedDate.optional(),
  /** Before this time: `[from, to)`. */
  to: storedDate.optional(),
  workflow: name.optional(),
  routes: z
    .array(z.enum(DECISION_ROUTES, { error: () => `Unknown route: choose from ${DECISION_ROUTES.join(', ')}` }))
    .min(1, 'Give at least one route, or leave the filter out')
    .optional(),
  /** True: a person's final label differs from the AI's (or the AI gave none); false: no such verdict. */
  overridden: z.boolean({ error: 'Expected true or false' }).optional(),
  /** Confidence at least this (inclusive). */
  confidenceMin: probability.optional(),
  /** Confidence below this (exclusive): `[confidenceMin, confidenceMax)`. "Below 0.9" leaves 0.9 out. */
  confidenceMax: probability.optional(),
  confidenceBasis: z
    .enum(CONFIDENCE_BASES, { error: () => `Unknown confidence basis: choose from ${CONFIDENCE_BASES.join(', ')}` })
    .default('calibrated'),
};

type Bounds = { from?: Date | undefined; to?: Date | undefined; confidenceMin?: number; confidenceMax?: number };

function checkBounds(f: Bounds, ctx: z.RefinementCtx) {
  if (f.from && f.to && f.from.getTime() >= f.to.getTime())
    ctx.addIssue({ code: 'custom', path: ['to'], message: '"to" must be after "from"' });
  if (f.confidenceMin !== undefined && f.confidenceMax !== undefined && f.confidenceMin >= f.confidenceMax)
    ctx.addIssue({
      code: 'custom',
      path: ['confidenceMax'],
      message: `"confidenceMax" must be above "confidenceMin" (${f.confidenceMin}): the range is [min, max)`,
    });
}

const decisionFields = {
  ...common,
  /** The decide state the decision was made at. */
  state: name.optional(),
  /** The item's status now. */
  itemStatus: z
    .enum(ITEM_STATUSES, { error: () => `Unknown item status: choose from ${ITEM_STATUSES.join(', ')}` })
    .optional(),
  model: name.optional(),
  modelVersion: name.optional(),
  /** Decisions this person gave a verdict on (any verdict, not only the final one): a user id or an email. */
  reviewer: name
    .refine(
      (v) => z.uuid().safeParse(v).success || /^[^@\s]+@[^@\s]+$/.test(v),
      'Expected a user id or an email address',
    )
    .optional(),
  /** True: a person's final verdict exists; false: none (yet). */
  reviewed: z.boolean({ error: 'Expected true or false' }).optional(),
  policyVersionId: id('policy version').optional(),
  certificateId: id('certificate').optional(),
};

/** The filters of `decisions.search` and its exports; every filter is optional. */
export const decisionSearchFilters = z.strictObject(decisionFields).superRefine(checkBounds);
export type DecisionSearchFilters = z.infer<typeof decisionSearchFilters>;
export type DecisionSearchFiltersInput = z.input<typeof decisionSearchFilters>;

const page = {
  /** The `nextCursor` of the previous page; absent for the first. */
  cursor: z.string().min(1).max(400, 'Not a cursor this search returned').optional(),
  limit: z
    .number({ error: `Expected a whole number from 1 to ${SEARCH_PAGE_MAX}` })
    .int(`Expected a whole number from 1 to ${SEARCH_PAGE_MAX}`)
    .min(1, `Expected a whole number from 1 to ${SEARCH_PAGE_MAX}`)
    .max(SEARCH_PAGE_MAX, `At most ${SEARCH_PAGE_MAX} rows a page`)
    .default(50),
};

/** `decisions.search`: the filters, a page, and whether to count the matches (up to `SEARCH_COUNT_CAP`). */
export const decisionSearchInput = z
  .strictObject({ ...decisionFields, ...page, includeTotal: z.boolean().default(false) })
  .superRefine(checkBounds);
export type DecisionSearchInput = z.input<typeof decisionSearchInput>;

/**
 * `items.list`: items created in `[from, to)`, of a workflow, a status, at a current state; with
 * `routes`, `overridden` or a confidence range, items with at least one decision that matches them all.
 */
export const itemListInput = z
  .strictObject({
    ...common,
    status: z
      .enum(ITEM_STATUSES, { error: () => `Unknown item status: choose from ${ITEM_STATUSES.join(', ')}` })
      .optional(),
    /** The state the item is at now. */
    state: name.optional(),
    ...page,
  })
  .superRefine(checkBounds);
export type ItemListInput = z.input<typeof itemListInput>;

/** The export formats of a decision search. */
export const SEARCH_EXPORT_FORMATS = ['csv', 'json'] as const;
export type SearchExportFormat = (typeof SEARCH_EXPORT_FORMATS)[number];

export const searchExportFormat = z.enum(SEARCH_EXPORT_FORMATS, {
  error: () => `Unknown format: choose from ${SEARCH_EXPORT_FORMATS.join(', ')}`,
});

const NUMBER_FIELDS = new Set(['confidenceMin', 'confidenceMax', 'limit']);
const BOOLEAN_FIELDS = new Set(['overridden', 'reviewed', 'includeTotal']);
const LIST_FIELDS = new Set(['routes']);

/**
 * Filters from a query string (a bookmarked console URL, the download route): numbers, booleans
 * (`true`/`false`) and comma-separated lists become what the schemas expect; anything else stays a
 * string for the schema to judge (and name). Empty values are left out.
 *
 * @example
 * decisionSearchFilters.safeParse(fromSearchParams(new URLSearchParams('routes=auto,sampled&confidenceMax=0.9')));
 */
export function fromSearchParams(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of params) {
    const value = raw.trim();
    if (value === '') continue;
    if (NUMBER_FIELDS.has(key)) out[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    else if (BOOLEAN_FIELDS.has(key)) out[key] = value === 'true' ? true : value === 'false' ? false : value;
    else if (LIST_FIELDS.has(key))
      out[key] = value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
    else out[key] = value;
  }
  return out;
}
