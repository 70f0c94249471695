// The dashboards' inputs: shared by the API (procedure inputs) and the services (which parse again,
// so the CLI and tests meet the same rules). No I/O.
import { z } from 'zod';

const DAY_MS = 86_400_000;
/** The window when none is given: the last 30 days up to now. */
export const DEFAULT_WINDOW_DAYS = 30;
/** The longest window one call may aggregate: beyond it a dashboard stops being a glance. */
export const MAX_WINDOW_DAYS = 400;

const name = (what: string) =>
  z.string().trim().min(1, `Name the ${what}, or leave it out`).max(200, `A ${what} name has at most 200 characters`);

const instant = z.coerce
  .date({ error: 'Expected a date or time (ISO 8601)' })
  .refine((d) => !Number.isNaN(d.getTime()), { message: 'Expected a valid date or time (ISO 8601)' })
  // Beyond these, PostgreSQL or date arithmetic cannot follow (JavaScript dates reach 271821 BC).
  .refine((d) => d.getUTCFullYear() >= 1970 && d.getUTCFullYear() <= 9999, {
    message: 'Expected a date between 1970 and 9999',
  });

/** What every dashboard can be narrowed to. A filter a query cannot use is ignored (see each query). */
export const dashboardFilterShape = {
  workflow: name('workflow').optional(),
  state: name('state').optional(),
  modelVersion: name('model version').optional(),
  /** Start of the window, inclusive (default: `to` minus 30 days). */
  from: instant.optional(),
  /** End of the window, exclusive (default: now). */
  to: instant.optional(),
};

const checkWindow = (f: { from?: Date | undefined; to?: Date | undefined }, ctx: z.RefinementCtx) => {
  if (f.from && f.to && f.from.getTime() >= f.to.getTime())
    ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` must be before `to`' });
  else if (f.from && f.to && f.to.getTime() - f.from.getTime() > MAX_WINDOW_DAYS * DAY_MS)
    ctx.addIssue({ code: 'custom', path: ['from'], message: `A window spans at most ${MAX_WINDOW_DAYS} days` });
};

export const dashboardFilter = z.object(dashboardFilterShape).superRefine(checkWindow);
export type DashboardFilterInput = z.input<typeof dashboardFilter>;

/** A filter with time buckets: UTC days, or ISO weeks (from Monday 00:00 UTC). */
export const bucketedFilter = z
  .object({
    ...dashboardFilterShape,
    bucket: z.enum(['day', 'week'], { error: 'Bucket by day or week' }).default('day'),
  })
  .superRefine(checkWindow);
export type BucketedFilterInput = z.input<typeof bucketedFilter>;

export const accuracyOverTimeInput = z
  .object({
    ...dashboardFilterShape,
    bucket: z.enum(['day', 'week'], { error: 'Bucket by day or week' }).default('week'),
    confidence: z.number().gt(0.5, 'Confidence must be above 0.5').lt(1, 'Confidence must be below 1').default(0.95),
  })
  .superRefine(checkWindow);
export type AccuracyOverTimeInput = z.input<typeof accuracyOverTimeInput>;

export const calibrationInput = z
  .object({
    ...dashboardFilterShape,
    /** `calibrated` (default): the confidence routing and people see; `raw`: the model's own. */
    confidence: z.enum(['calibrated', 'raw'], { error: 'Choose calibrated or raw confidence' }).default('calibrated'),
    bins: z.number().int('Bins are a whole number').min(2, 'At least 2 bins').max(50, 'At most 50 bins').default(10),
  })
  .superRefine(checkWindow);
export type CalibrationInput = z.input<typeof calibrationInput>;

/** A leaf field of a structured decision: its dotted path (`vendor.taxId`). */
const fieldPath = z
  .string()
  .trim()
  .max(200, 'A field path has at most 200 characters')
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    'A field is a dotted path of names, such as vendor.taxId',
  );

/** Per-field accuracy of structured decisions: as `accuracyOverTimeInput`, and one field or all. */
export const fieldAccuracyInput = z
  .object({
    ...dashboardFilterShape,
    field: fieldPath.optional(),
    bucket: z.enum(['day', 'week'], { error: 'Bucket by day or week' }).default('week'),
    confidence: z.number().gt(0.5, 'Confidence must be above 0.5').lt(1, 'Confidence must be below 1').default(0.95),
  })
  .superRefine(checkWindow);
export type FieldAccuracyInput = z.input<typeof fieldAccuracyInput>;

/** Per-field calibration: one field's confidence (or every field's, pooled) against its correctness. */
export const fieldCalibrationInput = z
  .object({
    ...dashboardFilterShape,
    field: fieldPath.optional(),
    bins: z.number().int('Bins are a whole number').min(2, 'At least 2 bins').max(50, 'At most 50 bins').default(10),
  })
  .superRefine(checkWindow);
export type FieldCalibrationInput = z.input<typeof fieldCalibrationInput>;

/** Which structured states (and their leaf fields) the field picker offers. */
export const fieldOptionsInput = z.object({
  workflow: name('workflow').optional(),
  state: name('state').optional(),
});
export type FieldOptionsInput = z.input<typeof fieldOptionsInput>;

export const throughputInput = z
  .object({
    ...dashboardFilterShape,
    bucket: z.enum(['hour', 'day'], { error: 'Bucket by hour or day' }).default('day'),
  })
  .superRefine(checkWindow);
export type ThroughputInput = z.input<typeof throughputInput>;

export const reviewVolumeInput = z
  .object({
    ...dashboardFilterShape,
    queue: name('queue').optional(),
    bucket: z.enum(['day', 'week'], { error: 'Bucket by day or week' }).default('day'),
  })
  .superRefine(checkWindow);
export type ReviewVolumeInput = z.input<typeof reviewVolumeInput>;

export const queueHealthInput = z.object({
  workflow: name('workflow').optional(),
  state: name('state').optional(),
  /** The instant ages are measured at (default: now). */
  asOf: instant.optional(),
});
export type QueueHealthInput = z.input<typeof queueHealthInput>;

/** A window with its defaults applied: `[from, to)`. */
export interface Window {
  from: Date;
  to: Date;
}

/** `[from, to)` from what was given: `to` defaults to now, `from` to 30 days before `to`. */
export function windowOf(f: { from?: Date | undefined; to?: Date | undefined }, now = new Date()): Window {
  const to = f.to ?? (f.from ? new Date(Math.max(now.getTime(), f.from.getTime() + DAY_MS)) : now);
  const from = f.from ?? new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
  return { from, to };
}
