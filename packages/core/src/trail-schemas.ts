// The decision trail of one item, as the API, the JSON export, the PDF report and the console read
// it. No I/O: the console bundles this file. Times are ISO 8601 strings and durations milliseconds,
// so `trail.get` and the downloaded JSON are the same document.
import { z } from 'zod';
import { uuid } from './schemas';

/** `trail.get`'s input, the download route's and the CLI's: one item. */
export const trailInput = z.object({ itemId: uuid });
export type TrailInput = z.infer<typeof trailInput>;

/**
 * The trail's paths that name staff, not data subjects: who reviewed, who acted, who generated the
 * report. PII masking leaves them (an auditor must know who decided); everything else is masked.
 */
export const TRAIL_STAFF_PATHS = ['verdicts.*.reviewer', 'events.*.actor', 'generatedBy'] as const;

/** The formats a trail downloads as. */
export const TRAIL_FORMATS = ['json', 'pdf'] as const;
export type TrailFormat = (typeof TRAIL_FORMATS)[number];
export const trailDownloadQuery = z.strictObject({
  format: z.enum(TRAIL_FORMATS, { error: () => `Expected one of: ${TRAIL_FORMATS.join(', ')}` }),
});

/**
 * A duration as the trail shows it: 90000 → "1 min 30 s"; 1234 → "1.2 s"; 80 → "80 ms"; null → "-".
 * Seconds are left out from a day up.
 */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : '', rest && !d ? `${rest} s` : ''];
  return parts.filter(Boolean).join(' ');
}

const time = z.string();
const ms = z.number().int().nonnegative();

export const trailStateRun = z.object({
  state: z.string(),
  visit: z.number().int(),
  kind: z.string(),
  status: z.string(),
  /** Attempts the run's job took (1 when it succeeded at once). */
  attempts: z.number().int(),
  nextState: z.string().nullable(),
  startedAt: time,
  /** Null while the run waits (a review, an event, a timer). */
  finishedAt: time.nullable(),
  durationMs: ms.nullable(),
  output: z.unknown(),
});
export type TrailStateRun = z.infer<typeof trailStateRun>;

export const trailToolCall = z.object({
  name: z.string(),
  arguments: z.unknown(),
  ok: z.boolean(),
  result: z.unknown(),
  error: z.string().nullable(),
  latencyMs: z.number().nullable(),
});
export type TrailToolCall = z.infer<typeof trailToolCall>;

export const trailDecision = z.object({
  id: uuid,
  state: z.string(),
  visit: z.number().int().nullable(),
  at: time,
  agent: z.string(),
  provider: z.string(),
  model: z.string(),
  modelVersion: z.string(),
  promptVersion: z.string(),
  inputHash: z.string(),
  label: z.string().nullable(),
  rationale: z.string().nullable(),
  confidence: z.object({
    raw: z.number(),
    method: z.string(),
    /** Why the confidence is not what its method promises, when it is not. */
    note: z.string().nullable(),
    calibrated: z.number(),
    /** The calibrator that mapped raw to calibrated; null when none was active (calibrated = raw). */
    calibrator: z.object({ id: uuid, method: z.string(), labelCount: z.number().int(), createdAt: time }).nullable(),
  }),
  /** Log-odds of the answer: what certified thresholds compare. */
  score: z.number().nullable(),
  threshold: z.number().nullable(),
  /** Probability the decision was drawn for human review (1 when routed to a person). */
  auditProbability: z.number().nullable(),
  policy: z
    .object({
      id: uuid,
      version: z.number().int(),
      status: z.string(),
      maxError: z.number(),
      confidence: z.number(),
      auditRate: z.number(),
      reason: z.string(),
      since: time,
    })
    .nullable(),
  certificate: z
    .object({
      id: uuid,
      threshold: z.number(),
      maxError: z.number(),
      confidence: z.number(),
      labelsUsed: z.number().int(),
      upperBound: z.number(),
      createdAt: time,
    })
    .nullable(),
  route: z.enum(['auto', 'review', 'sampled']),
  reasons: z.array(z.object({ code: z.string(), message: z.string(), rule: z.string().optional() })),
  /** A second agent's independent answer, when the state has a checker. */
  checker: z
    .object({
      agent: z.string(),
      agrees: z.boolean(),
      label: z.string().nullable(),
      confidence: z.number().nullable(),
      message: z.string(),
    })
    .nullable(),
  toolCalls: z.array(trailToolCall),
  outputMode: z.string().nullable(),
  usage: z.object({
    tokensIn: z.number().int().nullable(),
    tokensOut: z.number().int().nullable(),
    costUsd: z.number().nullable(),
    latencyMs: z.number().int(),
  }),
});
export type TrailDecision = z.infer<typeof trailDecision>;

export const trailVerdict = z.object({
  /** Null for a label settled by `labels.adjudicate` outside any task. */
  reviewId: uuid.nullable(),
  taskId: uuid.nullable(),
  kind: z.enum(['decision', 'review', 'qa', 'adjudication', 'stuck', 'label-adjudication']),
  state: z.string(),
  visit: z.number().int().nullable(),
  /** Which of the review point's independent reviews (1..reviewersRequired). */
  slot: z.number().int().nullable(),
  reviewersRequired: z.number().int().nullable(),
  queue: z.string().nullable(),
  decisionId: uuid.nullable(),
  reviewer: z.object({ id: uuid, email: z.string(), name: z.string() }),
  at: time,
  verdict: z.string(),
  label: z.string(),
  aiLabel: z.string().nullable(),
  /** agreed: the person kept the AI's label; corrected: chose another; answered: there was no AI label. */
  outcome: z.enum(['agreed', 'corrected', 'answered']),
  reason: z.string().nullable(),
  taskCreatedAt: time.nullable(),
  claimedAt: time.nullable(),
  /** From the task's creation to its (last) claim. */
  waitedMs: ms.nullable(),
  /** From the (last) claim to the verdict. */
  timeTakenMs: ms.nullable(),
  /** The answer of its review point (the other verdicts of a four-eyes point are kept, not final). */
  final: z.boolean().nullable(),
});
export type TrailVerdict = z.infer<typeof trailVerdict>;

export const trailVerification = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  head: z.object({ seq: z.number().int(), hash: z.string() }),
  broken: z.object({ seq: z.number().int(), reason: z.string() }).nullable(),
});

/**
 * One event of the item's audit chain: what was recorded, by whom, and its hash. Only the chain's
 * envelope: payloads come from their tables (events keep digests once payloads are purged).
 */
export const trailEvent = z.object({
  seq: z.number().int(),
  at: time,
  action: z.string(),
  actor: z.object({
    type: z.enum(['system', 'user', 'api_key']),
    id: z.string().nullable(),
    /** The user's e-mail (or the API key's name); null for the system. */
    name: z.string().nullable(),
  }),
  hash: z.string(),
});
export type TrailEvent = z.infer<typeof trailEvent>;

/** Whether the item's chain head is in a signed checkpoint of the whole log (docs/audit.md). */
export const trailCoverage = z.object({
  covered: z.boolean(),
  /** The newest checkpoint with a leaf of this item (which event it covers); null when none has. */
  checkpoint: z
    .object({ seq: z.number().int(), createdAt: time, eventSeq: z.number().int(), eventHash: z.string() })
    .nullable(),
});

export const decisionTrail = z.object({
  item: z.object({
    id: uuid,
    workflow: z.object({ name: z.string(), version: z.number().int(), hash: z.string() }),
    status: z.string(),
    currentState: z.string().nullable(),
    input: z.unknown(),
    error: z.unknown(),
    createdAt: time,
    finishedAt: time.nullable(),
  }),
  events: z.array(trailEvent),
  stateRuns: z.array(trailStateRun),
  decisions: z.array(trailDecision),
  verdicts: z.array(trailVerdict),
  timings: z.object({
    /** From submission to the first AI decision; null without one. */
    timeToFirstDecisionMs: ms.nullable(),
    /** Wall-clock time while at least one review task of the item was open (created, not done). */
    waitingForReviewMs: ms,
    /** From submission to the end (or to `generatedAt` while it runs). */
    totalMs: ms,
    finished: z.boolean(),
  }),
  /** The item's audit hash chain recomputed up to its recorded head. */
  verification: trailVerification,
  coverage: trailCoverage,
  generatedAt: time,
});
export type DecisionTrail = z.infer<typeof decisionTrail>;
