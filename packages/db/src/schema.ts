import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable } from 'kysely';

/** jsonb: read as the parsed value; written as a JSON string (node-postgres would send arrays as PG arrays). */
export type Json<T> = ColumnType<T, string, string>;
export type JsonDefault<T> = ColumnType<T, string | undefined, string>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  role: 'reviewer' | 'lead' | 'compliance' | 'data_scientist' | 'admin';
  password_hash: string;
  created_at: TimestampDefault;
  disabled_at: Timestamp | null;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_at: TimestampDefault;
  expires_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  prefix: string;
  key_hash: string;
  created_by: string | null;
  created_at: TimestampDefault;
  revoked_at: Timestamp | null;
  /** What the key may do (migration 0020): `items:submit`, `events:send`. */
  scopes: ColumnType<string[], string[] | undefined, string[]>;
}

export interface WorkflowVersionsTable {
  id: Generated<string>;
  name: string;
  version: number;
  hash: string;
  definition: Json<Record<string, unknown>>;
  /** Why this version was deployed: the definition's `changeNote` (migration 0027). */
  change_note: ColumnType<string | null, string | null | undefined, string | null>;
  /** Who deployed it: `SIGNOFF_DEPLOYED_BY` of the process that registered it first (migration 0027). */
  registered_by: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: TimestampDefault;
}

export type ItemStatus = 'running' | 'waiting' | 'succeeded' | 'rejected' | 'failed';

export interface ItemsTable {
  id: Generated<string>;
  workflow_name: string;
  workflow_version_id: string;
  idempotency_key: string | null;
  input: Json<unknown>;
  context: JsonDefault<Record<string, unknown>>;
  status: ItemStatus;
  current_state: string | null;
  visits: JsonDefault<Record<string, number>>;
  error: Json<{ state?: string; message: string; code?: string } | null> | null;
  attempt: Generated<number>;
  /** Head of the item's audit chain (see `appendAudit`). */
  audit_seq: Generated<number>;
  audit_hash: Generated<string>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
  finished_at: Timestamp | null;
  /** When retention purged the item's payloads (migration 0029); null while they are kept. */
  purged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface StateRunsTable {
  id: Generated<string>;
  item_id: string;
  state: string;
  visit: number;
  kind: string;
  status: 'done' | 'waiting';
  output: Json<unknown> | null;
  next_state: string | null;
  attempts: Generated<number>;
  started_at: Timestamp;
  finished_at: TimestampDefault;
}

export interface RouteReasonRow {
  code: string;
  message: string;
  rule?: string;
}

export interface DecisionsTable {
  id: Generated<string>;
  item_id: string;
  state_run_id: string;
  state: string;
  agent: string;
  provider: string;
  model: string;
  model_version: string;
  prompt_version: string;
  input_hash: string;
  input_text: string;
  output: Json<Record<string, unknown>>;
  label: string | null;
  confidence: number;
  confidence_method: string;
  calibrated_confidence: number;
  route: 'auto' | 'review' | 'sampled';
  reasons: JsonDefault<RouteReasonRow[]>;
  latency_ms: number;
  tokens_in: number | null;
  tokens_out: number | null;
  calibrator_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Estimated USD of the decision's tokens; null when unknown (migration 0006). */
  cost_usd: ColumnType<number | null, number | null | undefined, number | null>;
  /** The score decisions are ranked and certified by: log-odds of the answer; null before 0013. */
  score: ColumnType<number | null, number | null | undefined, number | null>;
  /** Inclusion probability in the audit sample (1 when routed to a person); null before 0013. */
  audit_probability: ColumnType<number | null, number | null | undefined, number | null>;
  /** The threshold in force when it was routed (certified: on the score; fixed: on the calibrated confidence). */
  threshold: ColumnType<number | null, number | null | undefined, number | null>;
  policy_version_id: ColumnType<string | null, string | null | undefined, string | null>;
  certificate_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** How the schema was imposed: json_schema, tool_call or json_object; null when local or no answer (0015). */
  output_mode: ColumnType<string | null, string | null | undefined, string | null>;
  /** Why the confidence is not what its method promises (logprobs unused, deterministic samples) (0015). */
  confidence_note: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: TimestampDefault;
}

export interface CertificatesTable {
  id: Generated<string>;
  workflow_name: string;
  state: string;
  agent: string;
  model_version: string;
  confidence_method: string;
  prompt_version: string;
  /** The certified leaf field of a structured output (dotted path), '' for the state itself (0032). */
  field: ColumnType<string, string | undefined, string>;
  max_error: number;
  confidence: number;
  threshold: number;
  labels_used: number;
  wrong_used: number;
  upper_bound: number;
  expected_automation: number;
  evidence: Json<Record<string, unknown>>;
  window_from: Timestamp;
  window_to: Timestamp;
  created_by: Json<Record<string, unknown>>;
  created_at: TimestampDefault;
}

export type PolicyStatus = 'uncertified' | 'certified' | 'paused';

export interface PolicyVersionsTable {
  id: Generated<string>;
  workflow_name: string;
  state: string;
  /** The certified leaf field of a structured output (dotted path), '' for the state itself (0032). */
  field: ColumnType<string, string | undefined, string>;
  version: number;
  max_error: number;
  confidence: number;
  audit_rate: number;
  status: PolicyStatus;
  certificate_id: string | null;
  reason: string;
  created_by: Json<Record<string, unknown>>;
  created_at: TimestampDefault;
}

export interface DriftGuardsTable {
  policy_version_id: string;
  samples: number;
  wrong: number;
  e_value: number;
  alarm_at: number;
  alarmed_at: Timestamp | null;
  updated_at: TimestampDefault;
}

export interface CalibratorsTable {
  id: Generated<string>;
  agent: string;
  model_version: string;
  /** The decisions' confidence method the calibrator is for (migration 0014; `unknown`: see there). */
  confidence_method: string;
  /** The decisions' prompt version the calibrator is for (migration 0014). */
  prompt_version: string;
  method: 'isotonic' | 'platt';
  params: Json<unknown>;
  label_count: number;
  metrics: Json<Record<string, unknown>>;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: TimestampDefault;
}

/** decision: an AI answer routed to a person; review: a review state; stuck: an operator's call; qa: a sampled auto-accepted decision. */
export type ReviewTaskKind = 'decision' | 'review' | 'stuck' | 'qa' | 'adjudication';

export interface ReviewTasksTable {
  id: Generated<string>;
  item_id: string;
  state: string;
  visit: number;
  decision_id: string | null;
  queue: string;
  status: 'pending' | 'claimed' | 'done';
  assignee_id: string | null;
  lease_expires_at: Timestamp | null;
  labels: Json<string[]>;
  reasons: JsonDefault<RouteReasonRow[]>;
  instructions: string;
  summary: Json<unknown> | null;
  kind: ColumnType<ReviewTaskKind, ReviewTaskKind | undefined, ReviewTaskKind>;
  escalate_to: ColumnType<string, string | undefined, string>;
  escalated_at: Timestamp | null;
  priority: ColumnType<number, number | undefined, number>;
  due_at: Timestamp | null;
  created_at: TimestampDefault;
  claimed_at: Timestamp | null;
  completed_at: Timestamp | null;
  /** Which of the visit's independent reviews this task is (1..reviewers_required), migration 0020. */
  slot: ColumnType<number, number | undefined, number>;
  /** Independent verdicts by different people the review point needs (four-eyes: 2). */
  reviewers_required: ColumnType<number, number | undefined, number>;
}

/** Who works which queue (migration 0020). */
export interface QueueMembersTable {
  queue: string;
  user_id: string;
  added_by: string | null;
  added_at: TimestampDefault;
}

/** A reviewer's skip of a task, so claim-next does not hand it straight back (migration 0020). */
export interface TaskSkipsTable {
  task_id: string;
  user_id: string;
  skipped_at: TimestampDefault;
}

export interface ReviewsTable {
  id: Generated<string>;
  task_id: string;
  reviewer_id: string;
  verdict: 'confirm' | 'correct' | 'answer';
  label: string;
  reason: string | null;
  created_at: TimestampDefault;
}

export interface LabelsTable {
  id: Generated<string>;
  item_id: string;
  state: string;
  decision_id: string | null;
  review_id: string | null;
  workflow_name: string;
  workflow_version_id: string;
  agent: string | null;
  model: string | null;
  model_version: string | null;
  prompt_version: string | null;
  input_text: string | null;
  ai_label: string | null;
  ai_confidence: number | null;
  human_label: string;
  is_correction: boolean;
  reason: string | null;
  reviewer_id: string;
  /** Settled by adjudication: outranks single verdicts on the same decision (migration 0013). */
  adjudicated: ColumnType<boolean, boolean | undefined, boolean>;
  /**
   * The answer of its review point (migration 0022): a single verdict, the last of N agreeing
   * verdicts, or the adjudication of disagreeing ones. The other verdicts of a multi-reviewer
   * point are kept with `final` false: every verdict is a label, one per point is the answer.
   */
  final: ColumnType<boolean, boolean | undefined, boolean>;
  /** Structured decisions (migration 0030): the leaf fields the human changed; null for a classification. */
  changed_fields: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  /** Structured decisions: `[{ field, ai, human }]` for each changed leaf field; null for a classification. */
  field_changes: ColumnType<unknown[] | null, string | null | undefined, string | null>;
  created_at: TimestampDefault;
}

export interface SeedExamplesTable {
  id: Generated<string>;
  agent: string;
  text: string;
  /** SHA-256 of `text` (hex), computed by PostgreSQL; examples are unique per (agent, text_hash). */
  text_hash: GeneratedAlways<string>;
  label: string;
  created_at: TimestampDefault;
}

export interface LocalModelsTable {
  id: Generated<string>;
  agent: string;
  version: number;
  params: Json<unknown>;
  /** The classifier trained without the holdout split, which comparisons evaluate; null before 0005. */
  eval_params: ColumnType<unknown, string | null | undefined, string | null>;
  example_count: number;
  metrics: JsonDefault<Record<string, unknown>>;
  active: Generated<boolean>;
  created_at: TimestampDefault;
}

export interface AuditEventsTable {
  stream: string;
  seq: number;
  item_id: string | null;
  actor_type: 'system' | 'user' | 'api_key';
  actor_id: string | null;
  action: string;
  data: JsonDefault<Record<string, unknown>>;
  created_at: TimestampDefault;
  prev_hash: string;
  hash: string;
}

export interface BranchRunsTable {
  item_id: string;
  state: string;
  visit: number;
  branch: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  attempt: Generated<number>;
  output: Json<unknown> | null;
  error: Json<{ message: string; code?: string }> | null;
  started_at: TimestampDefault;
  finished_at: Timestamp | null;
}

export interface EventsTable {
  id: Generated<string>;
  name: string;
  key: string;
  payload: JsonDefault<unknown>;
  dedupe_key: string | null;
  received_at: TimestampDefault;
  consumed_at: Timestamp | null;
}

export interface EventWaitsTable {
  item_id: string;
  state: string;
  visit: number;
  event_name: string;
  event_key: string;
  deadline: Timestamp | null;
  created_at: TimestampDefault;
  resolved_at: Timestamp | null;
  resolution: 'event' | 'timeout' | null;
  event_id: string | null;
}

/** Failed sign-ins per account or client address (migration 0009). */
export interface LoginThrottlesTable {
  scope: 'account' | 'address';
  key: string;
  failures: ColumnType<number, number | undefined, number>;
  last_failure_at: Timestamp | null;
  locked_until: Timestamp | null;
}

/** The head of each audit stream that is not an item's (`config`, `security`; migration 0009). */
export interface AuditHeadsTable {
  stream: string;
  seq: number;
  hash: string;
  updated_at: TimestampDefault;
}

/** Public keys that signed audit checkpoints (migration 0024). */
export interface AuditSigningKeysTable {
  fingerprint: string;
  public_key: string;
  created_at: TimestampDefault;
}

/** A signed checkpoint of the audit log (migration 0024, docs/audit.md). */
export interface AuditCheckpointsTable {
  seq: number;
  version: number;
  created_at: Date;
  prev_hash: string;
  root: string;
  leaf_count: number;
  key_fingerprint: string;
  hash: string;
  signature: string;
}

/** A checkpoint's leaves in tree order: stream heads. */
export interface AuditCheckpointLeavesTable {
  checkpoint_seq: number;
  position: number;
  stream: string;
  seq: number;
  hash: string;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  workflow_versions: WorkflowVersionsTable;
  items: ItemsTable;
  state_runs: StateRunsTable;
  decisions: DecisionsTable;
  review_tasks: ReviewTasksTable;
  reviews: ReviewsTable;
  labels: LabelsTable;
  seed_examples: SeedExamplesTable;
  local_models: LocalModelsTable;
  audit_events: AuditEventsTable;
  certificates: CertificatesTable;
  policy_versions: PolicyVersionsTable;
  drift_guards: DriftGuardsTable;
  branch_runs: BranchRunsTable;
  events: EventsTable;
  event_waits: EventWaitsTable;
  calibrators: CalibratorsTable;
  login_throttles: LoginThrottlesTable;
  audit_heads: AuditHeadsTable;
  audit_signing_keys: AuditSigningKeysTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_checkpoint_leaves: AuditCheckpointLeavesTable;
  model_capabilities: ModelCapabilitiesTable;
  dataset_snapshots: DatasetSnapshotsTable;
  dataset_snapshot_rows: DatasetSnapshotRowsTable;
  queue_members: QueueMembersTable;
  task_skips: TaskSkipsTable;
  retention_policies: RetentionPoliciesTable;
}

/** What the OpenAI-compatible provider learnt about an endpoint's model (migration 0015). */
export interface ModelCapabilitiesTable {
  endpoint: string;
  model: string;
  capabilities: Json<Record<string, unknown>>;
  updated_at: TimestampDefault;
}

/** An immutable set of labels with its split, manifest and content hash (migration 0016). */
export interface DatasetSnapshotsTable {
  id: string;
  name: string;
  created_by: Json<Record<string, unknown>>;
  created_at: TimestampDefault;
  filters: Json<Record<string, unknown>>;
  seed: string;
  fractions: Json<{ train: number; validation: number; test: number }>;
  row_count: number;
  manifest: Json<Record<string, unknown>>;
  content_hash: string;
}

/** A snapshot's labels in export order, each with its split (migration 0016). */
export interface DatasetSnapshotRowsTable {
  snapshot_id: string;
  ordinal: number;
  label_id: string;
  split: 'train' | 'validation' | 'test';
  /** The member's JSONL line (migration 0019); null before it, or where PostgreSQL could not render it exactly. */
  line: string | null;
  /** When retention purged the member (migration 0029): its line is cleared, the label purged. */
  purged_at: ColumnType<Date | null, never, Date | string | null>;
}

/** The retention a workflow declares (migration 0029); others follow the server's default. */
export interface RetentionPoliciesTable {
  workflow_name: string;
  days: number;
  mode: 'delete' | 'anonymise';
  declared_at: TimestampDefault;
}

export type Item = Selectable<ItemsTable>;
export type Decision = Selectable<DecisionsTable>;
export type ReviewTask = Selectable<ReviewTasksTable>;
export type Label = Selectable<LabelsTable>;
export type AuditEvent = Selectable<AuditEventsTable>;
export type User = Selectable<UsersTable>;
export type NewAuditEvent = Insertable<AuditEventsTable>;
