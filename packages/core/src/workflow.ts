import type { z } from 'zod';
import { AppError } from './errors';

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
}

export interface RiskRule<C> {
  /** Stable name, recorded with every decision it forced to review. */
  name: string;
  when: (ctx: C, output: { label: string; confidence: number }) => boolean;
  /** Shown to the reviewer as why the item was routed to them. */
  reason: string;
  /** Route to this queue instead of the policy's default. */
  queue?: string;
}

export interface RoutingPolicy<C> {
  /** Decisions whose confidence is at or above this are accepted without a human. 0..1. */
  autoAcceptAt: number;
  /** Predicates on the context that force review whatever the confidence. */
  risks?: RiskRule<C>[];
  /** Default review queue. */
  queue: string;
  /** Minutes a review task may wait before it is due. */
  dueInMinutes?: number;
}

/** Which AI agent answers a `decide` state. The prompt's version is the hash of `instructions`. */
export interface AgentSpec {
  name: string;
  instructions: string;
  /** Model name for an OpenAI-compatible endpoint; the local model ignores it. */
  model?: string;
}

export interface DecideState<C> {
  kind: 'decide';
  description?: string;
  agent: AgentSpec;
  labels: readonly string[];
  /** The text the agent classifies. */
  text: (ctx: C) => string;
  policy: RoutingPolicy<C>;
  next: string;
}

export interface TaskRunMeta {
  itemId: string;
  /** Stable across retries of the same state visit: pass it to any external side effect. */
  idempotencyKey: string;
}

export interface TaskState<C> {
  kind: 'task';
  description?: string;
  run: (ctx: C, meta: TaskRunMeta) => unknown | Promise<unknown>;
  next: string;
}

export interface ChoiceState<C> {
  kind: 'choice';
  description?: string;
  branches: { when: (ctx: C) => boolean; next: string; label?: string }[];
  otherwise: string;
}

export interface ReviewState<C> {
  kind: 'review';
  description?: string;
  queue: string;
  labels: readonly string[];
  /** What the reviewer is asked to decide. */
  instructions: string;
  /** Optional summary shown to the reviewer (defaults to the item's input). */
  show?: (ctx: C) => unknown;
  dueInMinutes?: number;
  next: string;
}

export type FinalStatus = 'succeeded' | 'rejected' | 'failed';

export interface FinalState<C> {
  kind: 'final';
  description?: string;
  status: FinalStatus;
  output?: (ctx: C) => unknown;
}

export type StateDefinition<C> = DecideState<C> | TaskState<C> | ChoiceState<C> | ReviewState<C> | FinalState<C>;
export type StateKind = StateDefinition<unknown>['kind'];

export interface WorkflowSpec<S extends z.ZodType> {
  name: string;
  description?: string;
  input: S;
  start: string;
  states: Record<string, StateDefinition<WorkflowContext<z.infer<S>>>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a workflow of any input; its own functions are typed by their author.
export type AnyInput = z.ZodType<any>;

export interface WorkflowDefinition<S extends z.ZodType = AnyInput> extends WorkflowSpec<S> {
  readonly __brand: 'WorkflowDefinition';
}

const NAME = /^[a-z][a-z0-9-]{1,62}$/;
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
export function validateWorkflow(spec: WorkflowSpec<AnyInput>): string[] {
  const problems: string[] = [];
  const names = Object.keys(spec.states);
  const exists = (n: string) => Object.hasOwn(spec.states, n);
  if (!NAME.test(spec.name)) problems.push(`name must match ${NAME} (got "${spec.name}")`);
  if (!exists(spec.start)) problems.push(`start state "${spec.start}" is not defined`);
  for (const name of names) {
    if (!STATE_NAME.test(name) || name === 'input') problems.push(`state name "${name}" is not allowed`);
  }
  const target = (from: string, to: string) => {
    if (!exists(to)) problems.push(`state "${from}" goes to "${to}", which is not defined`);
  };
  for (const [name, state] of Object.entries(spec.states)) {
    switch (state.kind) {
      case 'decide': {
        target(name, state.next);
        if (state.labels.length < 2) problems.push(`decide state "${name}" needs at least two labels`);
        if (new Set(state.labels).size !== state.labels.length)
          problems.push(`decide state "${name}" has duplicate labels`);
        const t = state.policy.autoAcceptAt;
        if (!(t >= 0 && t <= 1)) problems.push(`decide state "${name}": autoAcceptAt must be within 0..1 (got ${t})`);
        if (!state.policy.queue) problems.push(`decide state "${name}" needs a review queue`);
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

/** The states a state can move to next. */
export function successors(state: StateDefinition<unknown>): string[] {
  switch (state.kind) {
    case 'choice':
      return [...state.branches.map((b) => b.next), state.otherwise];
    case 'final':
      return [];
    default:
      return [state.next];
  }
}

/**
 * The workflow as plain JSON: structure, policies and the source text of its functions, so that
 * any change to behaviour changes the serialisation (and so the version hash).
 */
export function serializeWorkflow(def: WorkflowSpec<AnyInput>): Record<string, unknown> {
  const fn = (f: unknown) => (typeof f === 'function' ? f.toString() : undefined);
  const states: Record<string, unknown> = {};
  for (const name of Object.keys(def.states).sort()) {
    const s = def.states[name] as StateDefinition<unknown>;
    switch (s.kind) {
      case 'decide':
        states[name] = {
          kind: s.kind,
          description: s.description,
          agent: s.agent,
          labels: s.labels,
          text: fn(s.text),
          policy: {
            autoAcceptAt: s.policy.autoAcceptAt,
            queue: s.policy.queue,
            dueInMinutes: s.policy.dueInMinutes,
            risks: (s.policy.risks ?? []).map((r) => ({
              name: r.name,
              reason: r.reason,
              queue: r.queue,
              when: fn(r.when),
            })),
          },
          next: s.next,
        };
        break;
      case 'task':
        states[name] = { kind: s.kind, description: s.description, run: fn(s.run), next: s.next };
        break;
      case 'choice':
        states[name] = {
          kind: s.kind,
          description: s.description,
          branches: s.branches.map((b) => ({ label: b.label, when: fn(b.when), next: b.next })),
          otherwise: s.otherwise,
        };
        break;
      case 'review':
        states[name] = {
          kind: s.kind,
          description: s.description,
          queue: s.queue,
          labels: s.labels,
          instructions: s.instructions,
          show: fn(s.show),
          dueInMinutes: s.dueInMinutes,
          next: s.next,
        };
        break;
      case 'final':
        states[name] = { kind: s.kind, description: s.description, status: s.status, output: fn(s.output) };
        break;
    }
  }
  return { name: def.name, description: def.description, start: def.start, states };
}

/** JSON with object keys sorted, so equal definitions serialise to equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
