import { z } from 'zod';
import { AppError } from './errors';
import { describeFields, type FieldConfidenceRecord, type FieldSpec, leafFields } from './structured';

/**
 * What a state sees: the item's input and, under each state's name, the output that state produced.
 * Outputs are loosely typed on purpose: a workflow reads them by the state names it declared.
 */
// biome-ignore lint/suspicious/noExplicitAny: state outputs are keyed by state name and read by the author's own code.
export type WorkflowContext<I = unknown> = { input: I } & { [state: string]: any };

/** The output every `decide` state and every human verdict on it produces in the context. */
export interface DecisionOutput {
  label: string;
  /** Calibrated confidence of the AI (for a human verdict: the AI's, kept for reference). */
  confidence: number;
  decidedBy: 'ai' | 'human';
  rationale?: string | undefined;
  /** A multi-reviewer point: how many independent verdicts decided it. */
  reviewers?: number | undefined;
  /** The reviewers disagreed and a lead's adjudication gave the label. */
  adjudicated?: boolean | undefined;
  /**
   * A structured decision (a decide state with an `output` schema): the object, as the AI gave it
   * or as the human corrected it (`label` is then its canonical JSON).
   */
  value?: Record<string, unknown> | undefined;
  /** A structured decision: the AI's confidence in each leaf field (by dotted path). */
  fields?: Record<string, FieldConfidenceRecord> | undefined;
  /** A structured decision corrected by a human: the leaf fields they changed. */
  changedFields?: string[] | undefined;
}

/** What a risk rule sees of the AI's answer. */
export interface RiskRuleAnswer {
  label: string;
  confidence: number;
  /** A structured decision's object. */
  // biome-ignore lint/suspicious/noExplicitAny: the object the state's own schema describes; the author reads it.
  value?: any;
  /** A structured decision's confidence per leaf field. */
  fields?: Record<string, { confidence: number; score: number }>;
}

export interface RiskRule<C> {
  /** Stable name, recorded with every decision it forced to review. */
  name: string;
  when: (ctx: C, output: RiskRuleAnswer) => boolean;
  /** Shown to the reviewer as why the item was routed to them. */
  reason: string;
  /**
   * The leaf fields of a structured output this rule is about (e.g. `['amount']` for "amount over
   * 10,000 needs two reviewers"): recorded with its reason and highlighted in the correction form.
   */
  fields?: readonly string[];
  /** Route to this queue instead of the policy's default. */
  queue?: string;
  /**
   * Independent verdicts by different people a decision this rule sends to review needs (four-eyes:
   * 2). The most any triggered rule or the policy asks for wins. 1..5.
   */
  reviewers?: number;
}

/**
 * Certified auto-accept: the goal instead of a number. The state auto-accepts nothing until a
 * certificate (`signoff certify`) finds the lowest score threshold at which the error among
 * auto-accepted decisions is at most `maxError` with probability at least `confidence`, from
 * fairly sampled human labels; then it auto-accepts decisions scoring at or above that threshold,
 * audits a share of them, and pauses when its drift guard finds the error above the target.
 */
export interface CertifiedAutoAccept {
  /** Most errors allowed among auto-accepted decisions, as a share (0.01 = 1%). */
  maxError: number;
  /** How sure that bound must be (0.95: it fails in at most 5% of certifications). */
  confidence: number;
}

/** The share of auto-accepted decisions a certified state audits when it names none. */
export const DEFAULT_AUDIT_RATE = 0.05;

export interface RoutingPolicy<C> {
  /**
   * Decisions whose calibrated confidence is at or above this are accepted without a human. 0..1.
   * A fixed threshold, with no guarantee: give `autoAccept` instead to have one certified.
   */
  autoAcceptAt?: number;
  /** Certified auto-accept (exclusive with `autoAcceptAt`). */
  autoAccept?: CertifiedAutoAccept;
  /** Predicates on the context that force review whatever the confidence. */
  risks?: RiskRule<C>[];
  /** Default review queue. */
  queue: string;
  /** Minutes a review task may wait before it is due; an overdue task is escalated. */
  dueInMinutes?: number;
  /** Queue an overdue task moves to (default `escalations`). */
  escalateTo?: string;
  /**
   * Share (0..1) of auto-accepted decisions also sent to a person for a QA review that does not hold
   * the item: the audit sample. Chosen deterministically from the item and state, so a retry samples
   * the same way. Every decision records the probability it had (1 when routed to a person).
   * Certified states audit `DEFAULT_AUDIT_RATE` when this is not given, and cannot audit nothing.
   */
  sampleRate?: number;
  /**
   * Audit more where errors are likelier: auto-accepted decisions whose score lies within
   * `scoreMargin` above the certified threshold are audited at `rate` instead (certified states).
   */
  sampleNearThreshold?: { rate: number; scoreMargin: number };
  /** Queue for QA reviews (default: the policy's queue). */
  sampleQueue?: string;
  /**
   * Independent verdicts by different people every decision routed to review needs (four-eyes: 2;
   * default 1). Risk rules may ask for more. The item resumes only when all are in and agree; a
   * disagreement goes to a lead as an adjudication task. QA samples are always reviewed once. 1..5.
   */
  reviewers?: number;
  /** Queue of the adjudication tasks of disagreeing verdicts (default: the review task's queue). */
  adjudicationQueue?: string;
  /**
   * Structured outputs: routing per leaf field (dotted path), on the field's own confidence, e.g.
   * `{ taxId: { autoAcceptAt: 0.95 } }` (a tax id below 95% goes to review) or a certified target
   * for the field, whose correctness is judged by whether the reviewer changed it.
   */
  fields?: Record<string, FieldPolicy>;
}

/** How one field of a structured output is routed (a field below its threshold sends the decision to review). */
export interface FieldPolicy {
  /** A fixed threshold on the field's raw confidence, 0..1. */
  autoAcceptAt?: number;
  /** Certified auto-accept for this field (exclusive with `autoAcceptAt`): see `CertifiedAutoAccept`. */
  autoAccept?: CertifiedAutoAccept;
  /** Review queue when this field sends the decision to review (default: the policy's). */
  queue?: string;
  /** Independent verdicts when this field sends the decision to review. 1..5. */
  reviewers?: number;
}

/**
 * How often a failing state is tried, and how long to wait between tries: exponential back-off
 * `initialDelayMs * backoffFactor^(attempt-1)`, capped at `maxDelayMs`, each delay varied by up to
 * ±`jitter` (a fraction) so that many items failing together do not retry in lockstep.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. 1 means no retry. */
  maxAttempts: number;
  initialDelayMs?: number;
  backoffFactor?: number;
  maxDelayMs?: number;
  jitter?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = {
  maxAttempts: 3,
  initialDelayMs: 1000,
  backoffFactor: 2,
  maxDelayMs: 60_000,
  jitter: 0.2,
};

/** The delay before attempt `attempt + 1`, after `attempt` failed. `random` is in [0, 1). */
export function retryDelayMs(policy: RetryPolicy | undefined, attempt: number, random: number): number {
  const p = { ...DEFAULT_RETRY, ...policy };
  const base = Math.min(p.maxDelayMs, p.initialDelayMs * p.backoffFactor ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 + p.jitter * (2 * random - 1))));
}

/** What may happen to a state that fails: retries, a time limit per try, and where to go when it gives up. */
export interface Resilience {
  retry?: RetryPolicy;
  /** Each try is abandoned (and counts as failed) after this long. */
  timeoutMs?: number;
  /** After the last try fails, go here (the error is in the context under this state's name) instead of failing the item. */
  onError?: string;
}

/** A state entered more than `maxVisits` times goes to `onMaxVisits` instead: a bounded loop. */
export interface VisitLimit {
  maxVisits?: number;
  onMaxVisits?: string;
}

/** Which AI agent answers a `decide` state. The prompt's version is the hash of `instructions`. */
export interface AgentSpec {
  name: string;
  instructions: string;
  /** Model name for an OpenAI-compatible endpoint; the local model ignores it. */
  model?: string;
  /** Which provider answers for this agent (default: the process's, OpenAI-compatible when configured). */
  provider?: 'openai' | 'local';
  /**
   * Functions the model may call before it decides (OpenAI-compatible provider only; the local
   * model ignores them). Part of the version hash.
   */
  tools?: readonly AgentTool[];
  /** How the OpenAI-compatible provider asks this agent's model; unset fields use the provider's. */
  ai?: AgentAiOptions;
  /**
   * Mask PII (e-mail addresses, phone numbers, cards, IBANs, configured patterns) in what the agent
   * reads before it goes to the model, for every provider: the model sees `[email]`, `[card …1111]`.
   * Part of the version hash. See docs/pii.md.
   */
  maskPii?: boolean;
}

/**
 * Per-agent settings of the OpenAI-compatible provider (each overrides the provider's, which come
 * from the environment: see packages/ai/README.md). Part of the version hash.
 */
export interface AgentAiOptions {
  /** Answers drawn for self-consistency when the endpoint gives no usable log probabilities. Default 5. */
  samples?: number;
  /**
   * Where confidence comes from when log probabilities are unusable: `self-consistency` (default),
   * `verbalized` (the model's own rating, flagged as such), or `review` (no confidence: to a person).
   */
  confidenceFallback?: 'self-consistency' | 'verbalized' | 'review';
  /**
   * When self-consistency is impossible (a deterministic endpoint): `review` (default) or the
   * model's own rating (`verbalized`), recorded with a note saying so.
   */
  whenConfidenceUnavailable?: 'review' | 'verbalized';
  /** Per request attempt. */
  timeoutMs?: number;
  /** Requests in flight at once for this agent. */
  maxConcurrency?: number;
  /** Token budget per minute for this agent (input + output). */
  tokensPerMinute?: number;
  /** US dollars per million tokens, overriding the built-in price list for this agent's model. */
  pricing?: { inputPerMillion: number; outputPerMillion: number };
}

/** A function an agent may call while deciding, its arguments validated by `parameters`. */
export interface AgentTool {
  /** `^[a-zA-Z0-9_-]{1,64}$`, unique within the agent, not `decision`. */
  name: string;
  description: string;
  parameters: z.ZodType;
  /** Its result must be JSON-serialisable; `signal` aborts when the tool's time limit passes. */
  // biome-ignore lint/suspicious/noExplicitAny: the arguments are what `parameters` parsed; the author types them.
  run: (args: any, meta: { signal: AbortSignal }) => unknown | Promise<unknown>;
}

export interface DecideState<C> extends Resilience, VisitLimit {
  kind: 'decide';
  description?: string;
  agent: AgentSpec;
  /** A classification: the labels the agent chooses from (exclusive with `output`). */
  labels?: readonly string[];
  /**
   * A structured decision (exclusive with `labels`): the agent answers with an object this schema
   * describes: strings (`.meta({ draft: true })` for free text a person edits), numbers, booleans,
   * enums, arrays and nested objects. Validated; each leaf field gets its own confidence; the
   * reviewer corrects it field by field. See docs/structured-decisions.md.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any object schema; the author's code reads the value it describes.
  output?: z.ZodObject<any>;
  /** The text the agent classifies (or extracts from). */
  text: (ctx: C) => string;
  policy: RoutingPolicy<C>;
  /**
   * A second agent that answers the same question independently (another prompt, another model).
   * When it disagrees, the decision goes to review (`onDisagree: 'review'`, the default) or its
   * confidence is multiplied by `penalty` (default 0.5) before routing (`'lower'`).
   */
  checker?: CheckerSpec<C>;
  next: string;
}

export interface CheckerSpec<C> {
  agent: AgentSpec;
  /** What the checker reads (default: the same text as the first agent). */
  text?: (ctx: C) => string;
  onDisagree?: 'review' | 'lower';
  penalty?: number;
}

export interface TaskRunMeta {
  itemId: string;
  /** Stable across retries of the same state visit: pass it to any external side effect. */
  idempotencyKey: string;
  /** 1 for the first try. */
  attempt: number;
  /** Aborted when the state's `timeoutMs` passes. */
  signal: AbortSignal;
}

export interface TaskState<C> extends Resilience, VisitLimit {
  kind: 'task';
  description?: string;
  run: (ctx: C, meta: TaskRunMeta) => unknown | Promise<unknown>;
  next: string;
}

export interface ChoiceState<C> extends VisitLimit {
  kind: 'choice';
  description?: string;
  branches: { when: (ctx: C) => boolean; next: string; label?: string }[];
  otherwise: string;
}

export interface ReviewState<C> extends VisitLimit {
  kind: 'review';
  description?: string;
  queue: string;
  labels: readonly string[];
  /** What the reviewer is asked to decide. */
  instructions: string;
  /** Optional summary shown to the reviewer (defaults to the item's input). */
  show?: (ctx: C) => unknown;
  dueInMinutes?: number;
  /** Queue an overdue task moves to (default `escalations`). */
  escalateTo?: string;
  /** Independent verdicts by different people this step needs (four-eyes: 2; default 1). 1..5. */
  reviewers?: number;
  /** Queue of the adjudication tasks of disagreeing verdicts (default: the review task's queue). */
  adjudicationQueue?: string;
  next: string;
}

/** One branch of a `parallel` state: its own work, retries and time limit. */
export interface ParallelBranch<C> {
  run: (ctx: C, meta: TaskRunMeta) => unknown | Promise<unknown>;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

/**
 * Runs its branches at the same time and continues when all have finished; each branch's output
 * lands in the context under the branch's name. A branch that fails for good fails the state,
 * which then follows `onError` (the other branches are cancelled) or fails the item.
 */
export interface ParallelState<C> extends VisitLimit {
  kind: 'parallel';
  description?: string;
  branches: Record<string, ParallelBranch<C>>;
  next: string;
  onError?: string;
}

/**
 * Pauses the item: until an event `{name, key}` arrives (`POST /api/v1/events`), with an optional
 * time limit after which it goes to `onTimeout`; or, with `durationMs` alone, for a fixed time.
 * The event's payload lands in the context under the state's name.
 */
export interface WaitState<C> extends VisitLimit {
  kind: 'wait';
  description?: string;
  event?: { name: string; key: (ctx: C) => string };
  timeoutMs?: number;
  onTimeout?: string;
  durationMs?: number;
  next: string;
}

export type FinalStatus = 'succeeded' | 'rejected' | 'failed';

export interface FinalState<C> {
  kind: 'final';
  description?: string;
  status: FinalStatus;
  output?: (ctx: C) => unknown;
}

export type StateDefinition<C> =
  | DecideState<C>
  | TaskState<C>
  | ChoiceState<C>
  | ReviewState<C>
  | ParallelState<C>
  | WaitState<C>
  | FinalState<C>;
export type StateKind = StateDefinition<unknown>['kind'];

/** A named pattern of personal data this workflow's items carry (masked like e-mail addresses); see docs/pii.md. */
export interface WorkflowPiiPattern {
  /** Lower case letters, digits, - and _; the mask token is `[name]`. */
  name: string;
  /** A JavaScript regular expression's source. */
  regex: string;
  /** Any of i, m, s, u. */
  flags?: string;
}

/** How retention treats a finished item's payloads once its period is over (docs/retention.md). */
export type RetentionMode = 'delete' | 'anonymise';
export const RETENTION_MODES: readonly RetentionMode[] = ['delete', 'anonymise'];

/**
 * How long a workflow keeps its items' payloads, in whole days counted from each item's finish, and
 * what the purge does then. A data-governance setting, not behaviour: it is not part of the version
 * hash, and the newest registered version's retention applies to every item of the workflow.
 */
export interface RetentionSetting {
  days: number;
  mode: RetentionMode;
}

export interface WorkflowSpec<S extends z.ZodType> {
  name: string;
  description?: string;
  /**
   * Why this version differs from the one before (e.g. "Refunds above the limit need four eyes
   * after the Q3 audit"): recorded with the version the first time it is registered, in its
   * `workflow.registered` audit event, and shown as the reason of its policy changes. Not part of
   * the version hash: editing the note alone makes no new version. At most 2,000 characters.
   */
  changeNote?: string;
  input: S;
  start: string;
  states: Record<string, StateDefinition<WorkflowContext<z.infer<S>>>>;
  /** Personal data patterns besides the built-in ones and the deployment's (SIGNOFF_PII_PATTERNS). */
  pii?: { patterns?: readonly WorkflowPiiPattern[] };
  /** Purge the payloads of items finished more than `days` ago; without it, the server's default applies. */
  retention?: RetentionSetting;
}

const PII_BUILT_IN = ['email', 'phone', 'card', 'iban'];

/** What is wrong with a workflow's PII patterns, naming each bad pattern. */
function piiPatternProblems(patterns: readonly WorkflowPiiPattern[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  patterns.forEach((p, i) => {
    const where = `pii.patterns[${i}]${typeof p?.name === 'string' ? ` "${p.name}"` : ''}`;
    if (typeof p?.name !== 'string' || !/^[a-z][a-z0-9_-]{0,39}$/.test(p.name))
      problems.push(`${where}: name must be lower case letters, digits, - or _ (at most 40)`);
    else if (PII_BUILT_IN.includes(p.name)) problems.push(`${where}: email, phone, card and iban are built in`);
    else if (seen.has(p.name)) problems.push(`${where}: the name is used twice`);
    seen.add(p?.name);
    if (p?.flags !== undefined && !/^[imsu]*$/.test(p.flags))
      problems.push(`${where}: flags may only contain i, m, s and u`);
    try {
      if (new RegExp(p?.regex, p?.flags ?? '').test('')) problems.push(`${where}: the regex matches the empty string`);
    } catch (e) {
      problems.push(`${where}: the regex is not valid: ${(e as Error).message}`);
    }
  });
  return problems;
}

/** What is wrong with a retention setting, each naming the field and what was expected. */
export function retentionProblems(r: unknown, at = 'retention'): string[] {
  if (typeof r !== 'object' || r === null) return [`${at} must be { days, mode } (got ${String(r)})`];
  const { days, mode } = r as { days?: unknown; mode?: unknown };
  const problems: string[] = [];
  if (!(typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= 36_500))
    problems.push(`${at}.days must be a whole number of days from 1 to 36500 (got ${String(days)})`);
  if (!RETENTION_MODES.includes(mode as RetentionMode))
    problems.push(`${at}.mode must be delete or anonymise (got ${JSON.stringify(mode)})`);
  return problems;
}

// biome-ignore lint/suspicious/noExplicitAny: a workflow of any input; its own functions are typed by their author.
export type AnyInput = z.ZodType<any>;

export interface WorkflowDefinition<S extends z.ZodType = AnyInput> extends WorkflowSpec<S> {
  readonly __brand: 'WorkflowDefinition';
}

const NAME = /^[a-z][a-z0-9-]{1,62}$/;
/** The longest change note a workflow version may carry. */
export const MAX_CHANGE_NOTE = 2000;
const STATE_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;

/**
 * Defines a workflow: a state machine whose states read and extend one context.
 * Throws `INVALID_WORKFLOW` naming every problem found (unknown targets, bad thresholds, ...).
 *
 * @example
 * const wf = defineWorkflow({
 *   name: 'greeting', input: z.object({ text: z.string() }), start: 'classify',
 *   states: {
 *     classify: { kind: 'decide', agent: { name: 'tone', instructions: 'Classify the tone.' },
 *       labels: ['friendly', 'rude'], text: (c) => c.input.text,
 *       policy: { autoAcceptAt: 0.8, queue: 'tone' }, next: 'done' },
 *     done: { kind: 'final', status: 'succeeded' },
 *   },
 * });
 */
export function defineWorkflow<S extends z.ZodType>(spec: WorkflowSpec<S>): WorkflowDefinition<S> {
  const problems = validateWorkflow(spec as unknown as WorkflowSpec<AnyInput>);
  if (problems.length > 0) {
    throw new AppError('INVALID_WORKFLOW', `Workflow "${spec.name}" is invalid: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ path: spec.name, message })),
    });
  }
  return { ...spec, __brand: 'WorkflowDefinition' };
}

/** Every structural problem of a workflow spec, as sentences; empty when it is sound. */
/** What is wrong with an agent's `ai` settings, each naming the field and what was expected. */
function agentAiProblems(agent: string, ai: AgentAiOptions): string[] {
  const problems: string[] = [];
  const at = (field: string) => `agent "${agent}": ai.${field}`;
  const wholeAtLeast = (field: keyof AgentAiOptions, min: number, max: number) => {
    const v = ai[field];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max))
      problems.push(`${at(field)} must be a whole number from ${min} to ${max} (got ${String(v)})`);
  };
  wholeAtLeast('samples', 1, 20);
  wholeAtLeast('timeoutMs', 1, 600_000);
  wholeAtLeast('maxConcurrency', 1, 1024);
  wholeAtLeast('tokensPerMinute', 1, 1_000_000_000);
  if (
    ai.confidenceFallback !== undefined &&
    !['self-consistency', 'verbalized', 'review'].includes(ai.confidenceFallback)
  )
    problems.push(
      `${at('confidenceFallback')} must be self-consistency, verbalized or review (got "${ai.confidenceFallback}")`,
    );
  if (ai.whenConfidenceUnavailable !== undefined && !['review', 'verbalized'].includes(ai.whenConfidenceUnavailable))
    problems.push(
      `${at('whenConfidenceUnavailable')} must be review or verbalized (got "${ai.whenConfidenceUnavailable}")`,
    );
  if (ai.pricing !== undefined) {
    for (const k of ['inputPerMillion', 'outputPerMillion'] as const) {
      const v = ai.pricing[k];
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
        problems.push(`${at(`pricing.${k}`)} must be a number >= 0, US dollars per million tokens (got ${String(v)})`);
    }
  }
  return problems;
}

export function validateWorkflow(spec: WorkflowSpec<AnyInput>): string[] {
  const problems: string[] = [];
  const names = Object.keys(spec.states);
  const exists = (n: string) => Object.hasOwn(spec.states, n);
  if (!NAME.test(spec.name)) problems.push(`name must match ${NAME} (got "${spec.name}")`);
  if (!exists(spec.start)) problems.push(`start state "${spec.start}" is not defined`);
  if (spec.retention !== undefined) problems.push(...retentionProblems(spec.retention));
  if (spec.changeNote !== undefined && !(typeof spec.changeNote === 'string' && spec.changeNote.trim() !== ''))
    problems.push(
      `changeNote must be a sentence saying why this version changed (got ${JSON.stringify(spec.changeNote)})`,
    );
  else if (spec.changeNote !== undefined && spec.changeNote.length > MAX_CHANGE_NOTE)
    problems.push(`changeNote must be at most ${MAX_CHANGE_NOTE} characters (got ${spec.changeNote.length})`);
  for (const name of names) {
    if (!STATE_NAME.test(name) || name === 'input') problems.push(`state name "${name}" is not allowed`);
  }
  const target = (from: string, to: string) => {
    if (!exists(to)) problems.push(`state "${from}" goes to "${to}", which is not defined`);
  };
  if (spec.pii?.patterns) problems.push(...piiPatternProblems(spec.pii.patterns));
  const branchNames = new Set<string>();
  for (const [name, state] of Object.entries(spec.states)) {
    const limits = state as VisitLimit & Resilience;
    if (limits.maxVisits !== undefined) {
      if (!(Number.isInteger(limits.maxVisits) && limits.maxVisits >= 1))
        problems.push(`state "${name}": maxVisits must be a whole number >= 1 (got ${limits.maxVisits})`);
      if (!limits.onMaxVisits) problems.push(`state "${name}" has maxVisits but no onMaxVisits`);
      else if (limits.onMaxVisits === name) problems.push(`state "${name}": onMaxVisits cannot be the state itself`);
    }
    if (limits.onMaxVisits) target(name, limits.onMaxVisits);
    if (limits.onError) target(name, limits.onError);
    if (limits.timeoutMs !== undefined && !(limits.timeoutMs > 0))
      problems.push(`state "${name}": timeoutMs must be positive (got ${limits.timeoutMs})`);
    if (limits.retry) problems.push(...retryProblems(`state "${name}"`, limits.retry));
    switch (state.kind) {
      case 'decide': {
        target(name, state.next);
        if (state.labels !== undefined && state.output !== undefined)
          problems.push(
            `decide state "${name}": give labels (a classification) or output (a structured answer), not both`,
          );
        else if (state.output !== undefined) problems.push(...structuredProblems(name, state));
        else if (!Array.isArray(state.labels))
          problems.push(`decide state "${name}" needs labels (a classification) or output (a zod object schema)`);
        else {
          if (state.labels.length < 2) problems.push(`decide state "${name}" needs at least two labels`);
          if (new Set(state.labels).size !== state.labels.length)
            problems.push(`decide state "${name}" has duplicate labels`);
          if (state.policy.fields) problems.push(`decide state "${name}": policy.fields needs an output schema`);
        }
        problems.push(...policyProblems(name, state.policy));
        if (!state.policy.queue) problems.push(`decide state "${name}" needs a review queue`);
        for (const agent of [state.agent, ...(state.checker ? [state.checker.agent] : [])]) {
          const toolNames = (agent.tools ?? []).map((t) => t.name);
          for (const n of toolNames)
            if (!/^[a-zA-Z0-9_-]{1,64}$/.test(n) || n === 'decision')
              problems.push(
                `agent "${agent.name}": tool name "${n}" is not allowed (letters, digits, _ and -, at most 64; not "decision")`,
              );
          if (new Set(toolNames).size !== toolNames.length)
            problems.push(`agent "${agent.name}" has two tools with the same name`);
          if (agent.ai) problems.push(...agentAiProblems(agent.name, agent.ai));
        }
        const penalty = state.checker?.penalty;
        if (penalty !== undefined && !(penalty >= 0 && penalty <= 1))
          problems.push(`decide state "${name}": checker.penalty must be within 0..1 (got ${penalty})`);
        const ruleNames = (state.policy.risks ?? []).map((r) => r.name);
        if (new Set(ruleNames).size !== ruleNames.length)
          problems.push(`decide state "${name}" has risk rules with the same name`);
        break;
      }
      case 'task':
        target(name, state.next);
        break;
      case 'choice':
        for (const b of state.branches) target(name, b.next);
        target(name, state.otherwise);
        break;
      case 'review':
        target(name, state.next);
        if (state.labels.length < 1) problems.push(`review state "${name}" needs at least one label`);
        if (!state.queue) problems.push(`review state "${name}" needs a queue`);
        problems.push(...reviewerProblems(`review state "${name}"`, state.reviewers, state.adjudicationQueue));
        break;
      case 'parallel': {
        target(name, state.next);
        const branches = Object.keys(state.branches);
        if (branches.length < 2) problems.push(`parallel state "${name}" needs at least two branches`);
        for (const b of branches) {
          if (!STATE_NAME.test(b) || b === 'input') problems.push(`branch name "${b}" is not allowed`);
          if (exists(b) || branchNames.has(b))
            problems.push(
              `branch "${b}" of "${name}" clashes with another state or branch (its output is stored under that name)`,
            );
          branchNames.add(b);
          const br = state.branches[b];
          if (br?.retry) problems.push(...retryProblems(`branch "${b}"`, br.retry));
          if (br?.timeoutMs !== undefined && !(br.timeoutMs > 0))
            problems.push(`branch "${b}": timeoutMs must be positive`);
        }
        break;
      }
      case 'wait':
        target(name, state.next);
        if (!state.event && state.durationMs === undefined)
          problems.push(`wait state "${name}" needs an event to wait for or a durationMs`);
        if (state.event && state.durationMs !== undefined)
          problems.push(`wait state "${name}": use timeoutMs (not durationMs) to limit a wait for an event`);
        if (state.durationMs !== undefined && !(state.durationMs >= 0))
          problems.push(`wait state "${name}": durationMs must be >= 0`);
        if (state.timeoutMs !== undefined && !state.onTimeout)
          problems.push(`wait state "${name}" has timeoutMs but no onTimeout`);
        if (state.onTimeout) target(name, state.onTimeout);
        break;
      case 'final':
        break;
      default:
        problems.push(`state "${name}" has unknown kind "${(state as { kind: string }).kind}"`);
    }
  }
  if (!names.some((n) => spec.states[n]?.kind === 'final')) problems.push('at least one final state is required');
  // Reachability: a state nobody can reach is almost always a typo in a `next`.
  if (exists(spec.start)) {
    const seen = new Set<string>();
    const stack = [spec.start];
    while (stack.length > 0) {
      const n = stack.pop() as string;
      if (seen.has(n) || !exists(n)) continue;
      seen.add(n);
      stack.push(...successors(spec.states[n] as StateDefinition<unknown>));
    }
    for (const n of names) if (!seen.has(n)) problems.push(`state "${n}" is unreachable from "${spec.start}"`);
  }
  return problems;
}

function retryProblems(where: string, r: RetryPolicy): string[] {
  const p: string[] = [];
  if (!(Number.isInteger(r.maxAttempts) && r.maxAttempts >= 1))
    p.push(`${where}: retry.maxAttempts must be a whole number >= 1`);
  if (r.initialDelayMs !== undefined && !(r.initialDelayMs >= 0)) p.push(`${where}: retry.initialDelayMs must be >= 0`);
  if (r.backoffFactor !== undefined && !(r.backoffFactor >= 1)) p.push(`${where}: retry.backoffFactor must be >= 1`);
  if (r.jitter !== undefined && !(r.jitter >= 0 && r.jitter <= 1)) p.push(`${where}: retry.jitter must be within 0..1`);
  return p;
}

/** The states a state can move to next, error and limit paths included. */
export function successors(state: StateDefinition<unknown>): string[] {
  const extra = [
    (state as VisitLimit).onMaxVisits,
    (state as Resilience).onError,
    state.kind === 'wait' ? state.onTimeout : undefined,
  ].filter((s): s is string => typeof s === 'string');
  switch (state.kind) {
    case 'choice':
      return [...state.branches.map((b) => b.next), state.otherwise, ...extra];
    case 'final':
      return [];
    default:
      return [state.next, ...extra];
  }
}

/**
 * The workflow as plain JSON: structure, policies and the source text of its functions, so that
 * any change to behaviour changes the serialisation (and so the version hash). The change note is
 * left out: it says why, it does not change what the workflow does.
 */
export function serializeWorkflow(def: WorkflowSpec<AnyInput>): Record<string, unknown> {
  const fn = (f: unknown) => (typeof f === 'function' ? normalizeSource(f.toString()) : undefined);
  const states: Record<string, unknown> = {};
  for (const name of Object.keys(def.states).sort()) {
    const s = def.states[name] as StateDefinition<unknown>;
    const common = {
      maxVisits: (s as VisitLimit).maxVisits,
      onMaxVisits: (s as VisitLimit).onMaxVisits,
      retry: (s as Resilience).retry,
      timeoutMs: (s as Resilience).timeoutMs,
      onError: (s as Resilience).onError,
    };
    states[name] = common;
    switch (s.kind) {
      case 'decide':
        states[name] = {
          ...common,
          kind: s.kind,
          description: s.description,
          agent: agentJson(s.agent),
          labels: s.labels,
          ...(s.output ? { output: outputJson(s.output) } : {}),
          text: fn(s.text),
          checker: s.checker
            ? {
                agent: agentJson(s.checker.agent),
                text: fn(s.checker.text),
                onDisagree: s.checker.onDisagree,
                penalty: s.checker.penalty,
              }
            : undefined,
          policy: {
            autoAcceptAt: s.policy.autoAcceptAt,
            autoAccept: s.policy.autoAccept,
            sampleNearThreshold: s.policy.sampleNearThreshold,
            queue: s.policy.queue,
            dueInMinutes: s.policy.dueInMinutes,
            escalateTo: s.policy.escalateTo,
            sampleRate: s.policy.sampleRate,
            sampleQueue: s.policy.sampleQueue,
            reviewers: s.policy.reviewers,
            adjudicationQueue: s.policy.adjudicationQueue,
            risks: (s.policy.risks ?? []).map((r) => ({
              name: r.name,
              reason: r.reason,
              queue: r.queue,
              reviewers: r.reviewers,
              fields: r.fields,
              when: fn(r.when),
            })),
            fields: s.policy.fields,
          },
          next: s.next,
        };
        break;
      case 'task':
        states[name] = { ...common, kind: s.kind, description: s.description, run: fn(s.run), next: s.next };
        break;
      case 'choice':
        states[name] = {
          ...common,
          kind: s.kind,
          description: s.description,
          branches: s.branches.map((b) => ({ label: b.label, when: fn(b.when), next: b.next })),
          otherwise: s.otherwise,
        };
        break;
      case 'review':
        states[name] = {
          ...common,
          kind: s.kind,
          description: s.description,
          queue: s.queue,
          escalateTo: s.escalateTo,
          labels: s.labels,
          instructions: s.instructions,
          show: fn(s.show),
          dueInMinutes: s.dueInMinutes,
          reviewers: s.reviewers,
          adjudicationQueue: s.adjudicationQueue,
          next: s.next,
        };
        break;
      case 'parallel':
        states[name] = {
          ...common,
          kind: s.kind,
          description: s.description,
          branches: Object.fromEntries(
            Object.entries(s.branches).map(([b, br]) => [
              b,
              { run: fn(br.run), retry: br.retry, timeoutMs: br.timeoutMs },
            ]),
          ),
          next: s.next,
        };
        break;
      case 'wait':
        states[name] = {
          ...common,
          kind: s.kind,
          description: s.description,
          event: s.event ? { name: s.event.name, key: fn(s.event.key) } : undefined,
          timeoutMs: s.timeoutMs,
          onTimeout: s.onTimeout,
          durationMs: s.durationMs,
          next: s.next,
        };
        break;
      case 'final':
        states[name] = { kind: s.kind, description: s.description, status: s.status, output: fn(s.output) };
        break;
    }
  }
  // `retention` is left out on purpose: changing how long payloads are kept is not a new version.
  return {
    name: def.name,
    description: def.description,
    start: def.start,
    states,
    ...(def.pii?.patterns?.length ? { pii: { patterns: def.pii.patterns } } : {}),
  };
}

const IDENT = /[A-Za-z0-9_$]/;

/**
 * A function's source text in a form that does not depend on the compiler that printed it (tsx's
 * esbuild and vitest's oxc print the same code with different spacing, optional parentheses around
 * a lone arrow parameter and optional semicolons), so the same code hashes to the same version
 * whatever runs it. String and template literals are kept verbatim.
 */
export function normalizeSource(src: string): string {
  let out = '';
  let pendingSpace = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      const body = src.slice(i + 1, j);
      // Both printers use double quotes for plain strings; a quote style is not behaviour.
      // A template's raw newline and its `\n` escape are the same string.
      const template = () => `\`${body.replaceAll('\r', '\\r').replaceAll('\n', '\\n').replaceAll('\t', '\\t')}\``;
      out += c === '`' ? template() : `"${c === "'" ? body.replaceAll('"', '\\"') : body}"`;
      i = j;
      pendingSpace = false;
      continue;
    }
    if (/\s/.test(c)) {
      pendingSpace = true;
      continue;
    }
    if (pendingSpace && IDENT.test(out.at(-1) ?? '') && IDENT.test(c)) out += ' ';
    pendingSpace = false;
    out += c;
  }
  return (
    out
      // Module interop: `(0,mod.fn)(x)` (CommonJS, vite SSR) and `__vite_ssr_import_2__.fn` are `fn`.
      .replace(/\(0,[A-Za-z_$][A-Za-z0-9_$]*\.([A-Za-z_$][A-Za-z0-9_$]*)\)/g, '$1')
      .replace(/__vite_ssr_import_\d+__\./g, '')
      .replace(/(^|[^A-Za-z0-9_$.])\(([A-Za-z_$][A-Za-z0-9_$]*)\)=>/g, '$1$2=>')
      .replace(/;}/g, '}')
      .replace(/,([}\])])/g, '$1')
  );
}

/** An agent as JSON: its tools by name, description, argument schema and code, so a change to any is a new version. */
function agentJson(agent: AgentSpec): Record<string, unknown> {
  if (!agent.tools) return { ...agent };
  return {
    ...agent,
    tools: agent.tools.map((t) => ({
      name: t.name,
      description: t.description,
      parameters: parametersJson(t.parameters),
      run: normalizeSource(String(t.run)),
    })),
  };
}

/** A structured output as JSON: its JSON Schema and its fields, so a change to either is a new version. */
function outputJson(schema: z.ZodObject<z.ZodRawShape>): Record<string, unknown> {
  return { jsonSchema: parametersJson(schema), fields: outputFields(schema) };
}

const fieldCache = new WeakMap<object, { fields: FieldSpec[]; problems: string[] }>();

function describeSchema(schema: z.ZodType): { fields: FieldSpec[]; problems: string[] } {
  let d = fieldCache.get(schema);
  if (!d) {
    try {
      d = describeFields(z.toJSONSchema(schema, { io: 'input' }));
    } catch (e) {
      d = { fields: [], problems: [`the output schema cannot be written as JSON Schema: ${(e as Error).message}`] };
    }
    fieldCache.set(schema, d);
  }
  return d;
}

/**
 * The fields of a structured output's schema (see `describeFields`), cached per schema.
 *
 * @example
 * outputFields(z.object({ taxId: z.string() })); // => [{ path: 'taxId', name: 'taxId', type: 'string', optional: false }]
 */
export function outputFields(schema: z.ZodType): FieldSpec[] {
  return describeSchema(schema).fields;
}

/** The JSON Schema of a structured output, as given to models (`z.toJSONSchema`, input side). */
export function outputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
}

/** What is wrong with a structured decide state: its schema, and field names in its policy and rules. */
// biome-ignore lint/suspicious/noExplicitAny: only the schema and the field names are read.
function structuredProblems(name: string, state: DecideState<any>): string[] {
  const where = `decide state "${name}"`;
  if (!(state.output instanceof z.ZodObject)) return [`${where}: output must be a z.object({...}) schema`];
  const d = describeSchema(state.output);
  const problems = d.problems.map((p) => `${where}: ${p}`);
  const leaves = new Set(leafFields(d.fields).map((f) => f.path));
  const known = [...leaves].join(', ');
  for (const [field, fp] of Object.entries(state.policy.fields ?? {})) {
    const at = `${where}: policy.fields.${field}`;
    if (!leaves.has(field)) problems.push(`${at}: no such leaf field in the output (fields: ${known})`);
    if (fp.autoAcceptAt === undefined && fp.autoAccept === undefined)
      problems.push(`${at} needs autoAcceptAt (a fixed threshold) or autoAccept ({ maxError, confidence })`);
    if (fp.autoAcceptAt !== undefined && fp.autoAccept !== undefined)
      problems.push(`${at}: give autoAcceptAt or autoAccept, not both`);
    if (fp.autoAcceptAt !== undefined && !(fp.autoAcceptAt >= 0 && fp.autoAcceptAt <= 1))
      problems.push(`${at}.autoAcceptAt must be within 0..1 (got ${fp.autoAcceptAt})`);
    if (fp.autoAccept !== undefined) {
      if (!(fp.autoAccept.maxError > 0 && fp.autoAccept.maxError < 0.5))
        problems.push(`${at}.autoAccept.maxError must be above 0 and below 0.5 (got ${fp.autoAccept.maxError})`);
      if (!(fp.autoAccept.confidence >= 0.5 && fp.autoAccept.confidence < 1))
        problems.push(`${at}.autoAccept.confidence must be at least 0.5 and below 1 (got ${fp.autoAccept.confidence})`);
    }
    if (fp.queue !== undefined && !(typeof fp.queue === 'string' && fp.queue.trim() !== ''))
      problems.push(`${at}.queue must be a queue name`);
    if (fp.reviewers !== undefined) problems.push(...reviewerProblems(at, fp.reviewers, undefined));
    if (fp.autoAccept !== undefined && state.policy.sampleRate !== undefined && !(state.policy.sampleRate > 0))
      problems.push(`${at}: a certified field needs an audit sample of what is auto-accepted (sampleRate above 0)`);
  }
  for (const rule of state.policy.risks ?? [])
    for (const field of rule.fields ?? [])
      if (!leaves.has(field))
        problems.push(
          `${where}: risk rule "${rule.name}" names field "${field}", which the output does not have (fields: ${known})`,
        );
  if (state.checker) problems.push(`${where}: a checker agent is not supported on a structured output yet`);
  return problems;
}

function parametersJson(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input' });
  } catch {
    return null;
  }
}

/** The routing policy's problems: one way to auto-accept, targets and rates within range. */
// biome-ignore lint/suspicious/noExplicitAny: only the policy's numbers are read.
function policyProblems(name: string, policy: RoutingPolicy<any>): string[] {
  const problems: string[] = [];
  const where = `decide state "${name}"`;
  const { autoAcceptAt: t, autoAccept: goal, sampleRate: rate, sampleNearThreshold: near } = policy;
  if (t === undefined && goal === undefined)
    problems.push(`${where} needs autoAcceptAt (a fixed threshold) or autoAccept ({ maxError, confidence })`);
  if (t !== undefined && goal !== undefined) problems.push(`${where}: give autoAcceptAt or autoAccept, not both`);
  if (t !== undefined && !(t >= 0 && t <= 1)) problems.push(`${where}: autoAcceptAt must be within 0..1 (got ${t})`);
  if (goal !== undefined) {
    if (!(goal.maxError > 0 && goal.maxError < 0.5))
      problems.push(`${where}: autoAccept.maxError must be above 0 and below 0.5 (got ${goal.maxError})`);
    if (!(goal.confidence >= 0.5 && goal.confidence < 1))
      problems.push(`${where}: autoAccept.confidence must be at least 0.5 and below 1 (got ${goal.confidence})`);
    if (rate !== undefined && !(rate > 0))
      problems.push(`${where}: a certified state must audit some of what it auto-accepts (sampleRate above 0)`);
  }
  if (rate !== undefined && !(rate >= 0 && rate <= 1))
    problems.push(`${where}: sampleRate must be within 0..1 (got ${rate})`);
  problems.push(...reviewerProblems(where, policy.reviewers, policy.adjudicationQueue));
  for (const rule of policy.risks ?? [])
    if (rule.reviewers !== undefined)
      problems.push(...reviewerProblems(`${where}: risk rule "${rule.name}"`, rule.reviewers, undefined));
  if (near !== undefined) {
    if (goal === undefined) problems.push(`${where}: sampleNearThreshold needs autoAccept`);
    if (!(near.rate > 0 && near.rate <= 1))
      problems.push(`${where}: sampleNearThreshold.rate must be above 0 and at most 1 (got ${near.rate})`);
    if (!(near.scoreMargin > 0))
      problems.push(`${where}: sampleNearThreshold.scoreMargin must be above 0 (got ${near.scoreMargin})`);
  }
  return problems;
}

/** The most independent verdicts a review point may ask for: more is a committee, not a review. */
export const MAX_REVIEWERS = 5;

/** What is wrong with a `reviewers` count (a whole number 1..MAX_REVIEWERS) and an adjudication queue. */
function reviewerProblems(where: string, reviewers: unknown, adjudicationQueue: unknown): string[] {
  const problems: string[] = [];
  if (
    reviewers !== undefined &&
    !(typeof reviewers === 'number' && Number.isInteger(reviewers) && reviewers >= 1 && reviewers <= MAX_REVIEWERS)
  )
    problems.push(
      `${where}: reviewers must be a whole number from 1 to ${MAX_REVIEWERS}, the independent verdicts needed (got ${String(reviewers)})`,
    );
  if (adjudicationQueue !== undefined && !(typeof adjudicationQueue === 'string' && adjudicationQueue.trim() !== ''))
    problems.push(`${where}: adjudicationQueue must be a queue name (got ${JSON.stringify(adjudicationQueue)})`);
  return problems;
}
