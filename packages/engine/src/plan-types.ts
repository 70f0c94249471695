// The vocabulary of the one transition path: what happened to an item (an `Outcome`), the item as
// it is under its row lock (`ItemSnapshot`), and the writes a transition makes (`Plan`). No I/O here.
import type { DecideResult } from '@signoff/ai';
import type {
  AiFailure,
  FieldChange,
  FieldConfidenceRecord,
  FinalStatus,
  RouteReason,
  VerdictInput,
} from '@signoff/core';
import type { DecisionsTable, Item, LabelsTable, ReviewsTable, ReviewTask } from '@signoff/db';
import type { Actor } from '@signoff/governance';
import type { Selectable } from 'kysely';
import type { ParsedStepJob, StepJob } from './queue';

/** The item row a transition is planned against (read under `FOR UPDATE`). */
export type ItemSnapshot = Pick<
  Item,
  | 'id'
  | 'workflow_name'
  | 'workflow_version_id'
  | 'status'
  | 'current_state'
  | 'visits'
  | 'attempt'
  | 'context'
  | 'input'
  | 'audit_seq'
  | 'audit_hash'
  | 'updated_at'
>;

/** What an AI answered at a decide state (or failed to), as recorded. */
export interface DecisionRecord {
  agent: string;
  result: DecideResult | null;
  /** Fallbacks when the provider failed before answering. */
  provider: string;
  inputText: string;
  inputHash: string;
  route: 'auto' | 'review' | 'sampled';
  reasons: RouteReason[];
  calibratedConfidence: number;
  calibratorId?: string | null;
  /** The score it is ranked and certified by (log-odds of the answer); null without an answer. */
  score: number | null;
  /** Its inclusion probability in the audit sample: 1 when routed to a person. */
  auditProbability: number;
  /** The threshold it was routed by (on the score for a certified state, else on the calibrated confidence). */
  threshold: number | null;
  /** The policy version and certificate in force (certified states). */
  policyVersionId?: string | null;
  certificateId?: string | null;
  /** The checker agent's independent answer, when the state has one. */
  checker?: { agent: string; agrees: boolean; label: string | null; confidence: number | null; message: string };
  /** Why the provider gave no answer (its endpoint, model, status, message), when it failed. */
  failure?: AiFailure;
  /** A structured decision: the object (its canonical JSON is `result.label`) and each leaf field's confidence. */
  structured?: {
    value: Record<string, unknown>;
    fields: Record<string, FieldConfidenceRecord>;
    /** Certified fields: the policy version, certificate and threshold each was routed on. */
    certifiedFields?: Record<
      string,
      { policyVersionId: string | null; certificateId: string | null; threshold: number | null }
    >;
  };
}

/** A unit of human work to create. */
export interface ReviewRequest {
  kind: 'decision' | 'review' | 'qa';
  queue: string;
  labels: readonly string[];
  reasons: RouteReason[];
  instructions: string;
  summary: unknown;
  dueInMinutes: number | undefined;
  escalateTo: string | undefined;
  /** Independent verdicts by different people it needs: that many tasks (slots 1..N). Default 1. */
  reviewers?: number | undefined;
}

/** What a state's own work produced (see `runState`). */
export type StepOutcome =
  | { kind: 'advance'; output: unknown; next: string; decision?: DecisionRecord; qa?: ReviewRequest }
  | { kind: 'await-review'; review: ReviewRequest; decision?: DecisionRecord }
  | { kind: 'finish'; status: FinalStatus; output: unknown }
  | { kind: 'fan-out'; branches: string[] }
  | { kind: 'await-event'; name: string; key: string; deadline: Date | null }
  | { kind: 'await-timer'; until: Date }
  /**
   * A decide state's try refused by an open circuit breaker, within its budget (`breakerWaitMs`):
   * the same try again at the breaker's `retryAt` (epoch ms), when its probe goes through.
   */
  | { kind: 'await-breaker'; retryAt: number; error: ErrorInfo };

export interface ErrorInfo {
  message: string;
  code?: string;
  /** What an AI call's failure was (endpoint, model, status, the breaker's next probe). */
  ai?: AiFailure;
}

/** A branch row of a parallel state visit, as locked. */
export interface BranchRow {
  branch: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  attempt: number;
  output: unknown;
}

/** An open `event_waits` row. */
export interface OpenWaitRow {
  state: string;
  visit: number;
  event_name: string;
  event_key: string;
  deadline: Date | null;
}

/** An event kept in `events` (delivered, or waiting to be consumed). */
export interface EventRow {
  id: string;
  name: string;
  key: string;
  payload: unknown;
}

export type DecisionRow = Selectable<DecisionsTable>;

/**
 * Everything that can happen to an item. Each kind is planned by `planTransition` against the
 * item's locked row; `aux` rows (branches, waits, early events) are read by the runner in bulk.
 */
export type Outcome =
  /** A state's work finished (or, for `finish`/`fan-out`/waits, the state needs no work). */
  | { kind: 'state-result'; job: ParsedStepJob; result: StepOutcome; startedAt: Date }
  /** A state's work threw: retry, fallback path or failure, per its policy. */
  | { kind: 'state-error'; job: ParsedStepJob; error: ErrorInfo; permanent: boolean; startedAt: Date }
  /** A branch of a parallel state finished; the last one joins. */
  | { kind: 'branch-result'; job: ParsedStepJob; output: unknown; startedAt: Date }
  | { kind: 'branch-error'; job: ParsedStepJob; error: ErrorInfo; permanent: boolean }
  /** The end of a timed wait. */
  | { kind: 'timer-fired'; job: ParsedStepJob }
  /** The deadline of a wait for an event passed. */
  | { kind: 'deadline-passed'; job: ParsedStepJob }
  /** An event resumes an item waiting for it. */
  | { kind: 'event'; wait: { state: string; visit: number }; event: EventRow; actor: Actor }
  /** A reviewer's verdict on a decision or review task: the item resumes. */
  | ({ kind: 'verdict' } & VerdictFields)
  /** A reviewer's verdict on a QA sample: a label, the item stays where it is. */
  | ({ kind: 'qa-verdict' } & VerdictFields)
  /** An operator's answer to a stuck item: run the state again, or fail the item. */
  | { kind: 'operator'; task: ReviewTask; action: 'retry' | 'fail'; reason: string | null; userId: string }
  | { kind: 'task-claimed'; task: ReviewTask; userId: string; leaseMinutes: number }
  | { kind: 'task-released'; task: ReviewTask; userId: string }
  /** A lead hands an open task to a named person, who then holds it (see `reassignTask`). */
  | { kind: 'task-reassigned'; task: ReviewTask; userId: string; byUserId: string; leaseMinutes: number }
  /** Its holder passes the task over: back to pending, and not offered to them again for a while. */
  | { kind: 'task-skipped'; task: ReviewTask; userId: string }
  /**
   * A task moves to its escalation queue: overdue (the sweeper; no `userId`), or handed up by the
   * reviewer holding it, with their reason.
   */
  | { kind: 'task-escalated'; task: ReviewTask; userId?: string; reason?: string | null }
  /** An item without progress gets an operator task. */
  | { kind: 'item-stuck'; queue: string; minutes: number }
  /** A decision's label settled by adjudication: it outranks the single verdicts on it. */
  | { kind: 'adjudication'; decision: DecisionRow; label: string; reason: string; userId: string }
  /** A job kept failing for reasons of our own (pg-boss gave up): the item fails visibly. */
  | { kind: 'job-failed'; job: ParsedStepJob; message: string };

export type OutcomeKind = Outcome['kind'];

/**
 * A verdict already given at a review point (item, state, visit), on one of its slots or its
 * adjudication task: read under the item's lock, so the Nth verdict sees the others.
 */
export interface PointVerdict {
  taskId: string;
  kind: string;
  slot: number;
  reviewerId: string;
  verdict: string;
  label: string;
  reason: string | null;
}

/** What a reviewer answered on a task, as checked by `submitVerdict`. */
export interface VerdictFields {
  task: ReviewTask;
  decision: DecisionRow | undefined;
  verdict: VerdictInput['verdict'];
  label: string;
  reason: string | null;
  userId: string;
}

/** What became of a transition. */
export type TransitionResult = 'committed' | 'stale' | 'retrying' | 'fallback' | 'failed';

// ---- the writes ----

export interface StateRunInsert {
  id: string;
  item_id: string;
  /** The item's: time per state reads it from the run (migration 0018), without a join to items. */
  workflow_name: string;
  state: string;
  visit: number;
  kind: string;
  status: 'done' | 'waiting';
  output: unknown;
  next_state: string | null;
  attempts: number;
  started_at: Date;
  /** When the transition was planned: for a state evaluated on the way, the same as it started. */
  finished_at: Date;
}

/** Closes a waiting state run (a wait, a review) with its output. */
export interface StateRunClose {
  item_id: string;
  state: string;
  visit: number;
  output: unknown;
  next_state: string;
}

export type DecisionInsert = Omit<Selectable<DecisionsTable>, 'created_at'>;

export interface ReviewTaskInsert {
  id: string;
  item_id: string;
  state: string;
  visit: number;
  decision_id: string | null;
  kind: 'decision' | 'review' | 'qa' | 'stuck' | 'adjudication';
  queue: string;
  labels: readonly string[];
  reasons: RouteReason[] | { code: string; message: string }[];
  instructions: string;
  summary: unknown;
  due_at: Date | null;
  escalate_to: string;
  priority: number;
  /** Which of the review point's independent reviews this task is (1..reviewers_required). */
  slot: number;
  reviewers_required: number;
}

/** A task's mutable columns, all of them, as they are to be. */
export interface ReviewTaskUpdate {
  id: string;
  status: 'pending' | 'claimed' | 'done';
  queue: string;
  priority: number;
  assignee_id: string | null;
  claimed_at: Date | null;
  lease_expires_at: Date | null;
  completed_at: Date | null;
  escalated_at: Date | null;
}

export type ReviewInsert = Omit<Selectable<ReviewsTable>, 'created_at'>;

export type LabelInsert = Omit<Selectable<LabelsTable>, 'created_at' | 'changed_fields' | 'field_changes'> & {
  /** A structured label's field-level diff; the writer derives `changed_fields` from it. */
  field_changes?: FieldChange[] | null;
};

export interface BranchRunInsert {
  item_id: string;
  state: string;
  visit: number;
  branch: string;
}

/** A branch row's mutable columns, as they are to be. */
export interface BranchRunUpdate {
  item_id: string;
  state: string;
  visit: number;
  branch: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  attempt: number;
  output: unknown;
  error: ErrorInfo | null;
  finished: boolean;
}

export interface EventWaitInsert {
  item_id: string;
  state: string;
  visit: number;
  event_name: string;
  event_key: string;
  deadline: Date | null;
  /** Set when an event that arrived early resolves the wait as it starts. */
  event_id: string | null;
}

export interface EventWaitResolve {
  item_id: string;
  state: string;
  visit: number;
  resolution: 'event' | 'timeout';
  event_id: string | null;
}

/** A new item (a submission). */
export interface ItemInsert {
  id: string;
  workflow_name: string;
  workflow_version_id: string;
  idempotency_key: string | null;
  input: unknown;
  status: 'running';
  current_state: string;
  visits: Record<string, number>;
}

/** The item's position and context as they are to be after the transition. */
export interface ItemUpdate {
  status: string;
  current_state: string | null;
  visits: Record<string, number>;
  attempt: number;
  context: Record<string, unknown>;
  error: unknown;
  finished_at: Date | null;
}

export interface PlannedEvent {
  actor: Actor;
  action: string;
  data: Record<string, unknown>;
}

export interface PlannedJob {
  data: StepJob;
  startAfter?: Date;
}

/**
 * The writes of one item's transition. The writer applies many plans in one transaction, with
 * one multi-row statement per table, and chains `events` onto the item's audit head.
 */
export interface Plan {
  itemId: string;
  result: TransitionResult;
  /** The audit chain head the events follow (the locked item's; genesis for a new item). */
  head: { seq: number; hash: string };
  newItem?: ItemInsert;
  stateRuns: StateRunInsert[];
  stateRunCloses: StateRunClose[];
  decisions: DecisionInsert[];
  reviewTasks: ReviewTaskInsert[];
  taskUpdates: ReviewTaskUpdate[];
  reviews: ReviewInsert[];
  labels: LabelInsert[];
  branchRuns: BranchRunInsert[];
  branchUpdates: BranchRunUpdate[];
  eventWaits: EventWaitInsert[];
  eventWaitResolves: EventWaitResolve[];
  /** Events (`events` rows) consumed by this transition. */
  eventsConsumed: string[];
  events: PlannedEvent[];
  /** The item's new position; absent when only its audit head moves (a claim, a QA verdict). */
  item?: ItemUpdate;
  jobs: PlannedJob[];
}

/** Clock, ids and randomness a planner needs, passed in so that plans are reproducible in tests. */
export interface PlanEnv {
  now: Date;
  newId: () => string;
  /** In [0, 1): the jitter of retry back-offs. */
  random: () => number;
}
