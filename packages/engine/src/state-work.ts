// The work of each state kind, run outside any transaction: the AI decision (with its checker,
// calibration and routing), a task's side effect, a choice, what a review, wait or final state asks for.
import { createHash } from 'node:crypto';
import type { DecideResult, DecisionProvider, ExtractResult } from '@signoff/ai';
import {
  type AgentSpec,
  type AiFailure,
  AppError,
  auditProbability,
  type CertifiedGate,
  DEFAULT_RETRY,
  type DecideState,
  describeAiFailure,
  formatPercent,
  isAppError,
  isSampled,
  outputFields,
  outputJsonSchema,
  type ReviewState,
  type RouteReason,
  rankingScore,
  reviewersRequired,
  routeDecision,
  type StateDefinition,
  structuredLabel,
  type WaitState,
  type WorkflowContext,
} from '@signoff/core';
import type { Item } from '@signoff/db';
import { maskPiiText } from '@signoff/governance';
import { certifiedGate, createPolicySource } from '@signoff/trust';
import { breakerWaitMs, triesOf } from './breaker-wait';
import type { StepDeps } from './execute-step';
import { chooseBranch, finalOutput } from './plan-common';
import type { DecisionRecord, ReviewRequest, StepOutcome } from './plan-types';
import { idempotencyKeyOf, type ParsedStepJob } from './queue';
import { errorInfo, withTimeLimit } from './time-limit';

/** Runs a state's own work (outside any transaction) and returns what to commit. */
export async function runState(
  deps: StepDeps,
  job: ParsedStepJob,
  item: Pick<Item, 'id' | 'workflow_name'>,
  state: StateDefinition<WorkflowContext>,
  ctx: WorkflowContext,
): Promise<StepOutcome> {
  switch (state.kind) {
    case 'decide':
      return decide(deps, job, item.workflow_name, state, ctx);
    case 'task': {
      const output = await withTimeLimit(state.timeoutMs, `state "${job.state}"`, (signal) =>
        state.run(ctx, { itemId: item.id, idempotencyKey: idempotencyKeyOf(job), attempt: job.attempt, signal }),
      );
      return { kind: 'advance', output: output ?? null, next: state.next };
    }
    case 'choice': {
      const output = chooseBranch(state, ctx);
      return { kind: 'advance', output, next: output.next };
    }
    case 'review':
      return { kind: 'await-review', review: reviewRequest(state, ctx) };
    case 'parallel':
      return { kind: 'fan-out', branches: Object.keys(state.branches) };
    case 'wait':
      return waitOutcome(state, ctx);
    case 'final':
      return { kind: 'finish', status: state.status, output: finalOutput(state, ctx) };
  }
}

/** What the checker agent answered, and whether it agrees with the first agent. */
export interface CheckerResult {
  agent: string;
  agrees: boolean;
  label: string | null;
  confidence: number | null;
  model: string | null;
  modelVersion: string | null;
  promptVersion: string | null;
  error?: string;
  /** Why the checker could not answer (endpoint, model, status, message), when it failed. */
  failure?: AiFailure;
  message: string;
}

async function runChecker(
  deps: StepDeps,
  job: ParsedStepJob,
  state: DecideState<WorkflowContext>,
  ctx: WorkflowContext,
  text: string,
  label: string,
): Promise<CheckerResult> {
  const spec = state.checker as NonNullable<DecideState<WorkflowContext>['checker']>;
  try {
    const r = await withTimeLimit(state.timeoutMs, `checker at "${job.state}"`, (signal) =>
      deps.provider.decide(deps.db, {
        agent: spec.agent,
        labels: state.labels ?? [],
        text: spec.text ? promptText(spec.agent, spec.text(ctx)) : spec.agent.maskPii ? maskPiiText(text) : text,
        signal,
      }),
    );
    const agrees = r.label === label;
    return {
      agent: spec.agent.name,
      agrees,
      label: r.label,
      confidence: r.confidence,
      model: r.model,
      modelVersion: r.modelVersion,
      promptVersion: r.promptVersion,
      message: agrees
        ? `Checker agent "${spec.agent.name}" agrees`
        : `Checker agent "${spec.agent.name}" answered "${r.label}" (${Math.round(r.confidence * 100)}%), not "${label}"`,
    };
  } catch (e) {
    // A checker that cannot answer has not confirmed anything: the answer is unverified.
    if (!(isAppError(e, 'AI_UNAVAILABLE') || isAppError(e, 'AI_INVALID_OUTPUT') || isAppError(e, 'TIMEOUT'))) throw e;
    const failure = failureDetails(e, deps.provider.name, spec.agent.model);
    const error = failureMessage(e, failure);
    return {
      agent: spec.agent.name,
      agrees: false,
      label: null,
      confidence: null,
      model: null,
      modelVersion: null,
      promptVersion: null,
      error,
      failure,
      message: `Checker agent "${spec.agent.name}" could not answer, so the answer is unverified: ${error}`,
    };
  }
}

function waitOutcome(state: WaitState<WorkflowContext>, ctx: WorkflowContext): StepOutcome {
  const now = Date.now();
  if (!state.event) return { kind: 'await-timer', until: new Date(now + (state.durationMs ?? 0)) };
  const key = state.event.key(ctx);
  return {
    kind: 'await-event',
    name: state.event.name,
    key,
    deadline: state.timeoutMs !== undefined ? new Date(now + state.timeoutMs) : null,
  };
}

function reviewRequest(state: ReviewState<WorkflowContext>, ctx: WorkflowContext): ReviewRequest {
  return {
    kind: 'review',
    queue: state.queue,
    labels: state.labels,
    reasons: [
      { code: 'risk_rule', rule: 'review-step', message: state.description ?? 'This step always needs a human' },
    ],
    instructions: state.instructions,
    summary: state.show ? state.show(ctx) : null,
    dueInMinutes: state.dueInMinutes,
    escalateTo: state.escalateTo,
    reviewers: state.reviewers ?? 1,
  };
}

/** A structured answer from the provider (`extract`), for a decide state with an `output` schema. */
async function extract(
  deps: StepDeps,
  workflow: string,
  stateName: string,
  state: DecideState<WorkflowContext>,
  text: string,
  signal: AbortSignal,
): Promise<ExtractResult> {
  const schema = state.output as NonNullable<DecideState<WorkflowContext>['output']>;
  if (!deps.provider.extract)
    throw new AppError('AI_UNAVAILABLE', `The ${deps.provider.name} provider cannot give structured answers`);
  return deps.provider.extract(deps.db, {
    agent: state.agent,
    schema,
    fields: outputFields(schema),
    jsonSchema: outputJsonSchema(schema),
    text,
    workflow,
    state: stateName,
    signal,
  });
}

/**
 * The gates of a structured state's certified fields (`policy.fields.x.autoAccept`): each field's
 * certificate in force, and whether it covers this answer's model version, method and prompt.
 */
async function certifiedFields(
  deps: StepDeps,
  workflow: string,
  stateName: string,
  state: DecideState<WorkflowContext>,
  result: DecideResult,
): Promise<{ gates: Record<string, CertifiedGate>; routedOn: Record<string, FieldRoutedOn> } | undefined> {
  const fields = Object.entries(state.policy.fields ?? {})
    .filter(([, f]) => f.autoAccept !== undefined)
    .map(([name]) => name);
  if (fields.length === 0) return undefined;
  const gates: Record<string, CertifiedGate> = {};
  const routedOn: Record<string, FieldRoutedOn> = {};
  for (const field of fields) {
    const policy = await (deps.policies ?? defaultPolicies).inForce(deps.db, workflow, stateName, field);
    // A field's certificate is for its own confidence method (a field may fall back to sampling).
    const method = extractedMethod(result, field);
    const gate = certifiedGate(policy, { ...result, confidenceMethod: method });
    gates[field] = gate;
    routedOn[field] = {
      policyVersionId: policy?.id ?? null,
      certificateId: gate.open ? (policy?.certificate?.id ?? null) : null,
      threshold: gate.open ? gate.threshold : null,
    };
  }
  return { gates, routedOn };
}

/** The policy version, certificate and threshold a certified field was routed on (kept with the decision). */
export interface FieldRoutedOn {
  policyVersionId: string | null;
  certificateId: string | null;
  threshold: number | null;
}

function extractedMethod(result: DecideResult, field: string): string {
  return (result as Partial<ExtractResult>).fields?.[field]?.method ?? result.confidenceMethod;
}

/** The score a result is ranked by: the provider's log-odds (clamped), else its confidence's. */
function scoreOf(result: DecideResult): number {
  return rankingScore(result.score, result.confidence);
}

/** The policy in force for a certified state, and whether its certificate covers this answer. */
async function certifiedPolicy(deps: StepDeps, workflow: string, state: string, result: DecideResult) {
  const policy = await (deps.policies ?? defaultPolicies).inForce(deps.db, workflow, state);
  return { policy, gate: certifiedGate(policy, result) };
}

const defaultPolicies = createPolicySource();

/**
 * What an AI call's failure was: the provider's details (`AppError.ai`), the model filled in from
 * the failure that opened the circuit or the agent's, so the decision records the model asked;
 * without details (a time limit of ours, an older provider), what the error says.
 */
function failureDetails(e: AppError, provider: string, agentModel: string | undefined): AiFailure {
  const model = e.ai?.model ?? e.ai?.lastFailure?.model ?? agentModel;
  const withModel = model ? { model } : {};
  if (e.ai) return { ...e.ai, ...withModel };
  const kind = e.code === 'TIMEOUT' ? 'timeout' : e.code === 'AI_INVALID_OUTPUT' ? 'invalid_output' : 'unreachable';
  return { kind, provider, ...withModel, providerMessage: e.message };
}

/** For people: built from the failure's details when the provider gave them, else its message. */
function failureMessage(e: AppError, failure: AiFailure): string {
  return e.ai ? describeAiFailure(failure) : e.message;
}

/** What an agent reads: its text, with PII masked when the agent asks for it (`maskPii`). */
function promptText(agent: AgentSpec, text: string): string {
  return agent.maskPii ? maskPiiText(text) : text;
}

async function decide(
  deps: StepDeps,
  job: ParsedStepJob,
  workflowName: string,
  state: DecideState<WorkflowContext>,
  ctx: WorkflowContext,
): Promise<StepOutcome> {
  // With `maskPii`, the model (and the decision's record of what it read) sees mask tokens only.
  const text = promptText(state.agent, state.text(ctx));
  const inputHash = createHash('sha256').update(text).digest('hex');
  const base = { agent: state.agent.name, provider: deps.provider.name, inputText: text, inputHash };
  // Four-eyes: the most independent verdicts the policy or a triggered risk rule asks for.
  const review = (reasons: RouteReason[], queue: string): ReviewRequest => ({
    kind: 'decision',
    queue,
    // A structured decision has no label set: the form is its schema's (see the task view).
    labels: state.labels ?? [],
    reasons,
    instructions: state.agent.instructions,
    summary: null,
    dueInMinutes: state.policy.dueInMinutes,
    escalateTo: state.policy.escalateTo,
    reviewers: reviewersRequired(state.policy, reasons),
  });
  let result: Awaited<ReturnType<DecisionProvider['decide']>>;
  let extracted: ExtractResult | undefined;
  try {
    if (state.output) {
      extracted = await withTimeLimit(state.timeoutMs, `decision at "${job.state}"`, (signal) =>
        extract(deps, workflowName, job.state, state, text, signal),
      );
      // Its label is the object's canonical JSON: equal records, equal labels.
      result = { ...extracted, label: structuredLabel(extracted.value) };
    } else
      result = await withTimeLimit(state.timeoutMs, `decision at "${job.state}"`, (signal) =>
        deps.provider.decide(deps.db, { agent: state.agent, labels: state.labels ?? [], text, signal }),
      );
  } catch (e) {
    const aiFailure = isAppError(e, 'AI_UNAVAILABLE') || isAppError(e, 'AI_INVALID_OUTPUT') || isAppError(e, 'TIMEOUT');
    if (!aiFailure) throw e;
    const failure = failureDetails(e, deps.provider.name, state.agent.model);
    // Refused by an open circuit breaker: nothing was sent, so the try is not spent; within the
    // budget, the same try again when the breaker lets its probe through.
    if (breakerWaitMs(state.retry, job, failure, Date.now()) !== undefined && failure.retryAt !== undefined)
      return { kind: 'await-breaker', retryAt: failure.retryAt, error: errorInfo(e) };
    // With tries left (the state's retry budget, 3 by default), an outage goes through its retry
    // policy: another try after a back-off. Past the budget, to a human, with the reason. An
    // unusable answer is not tried again: the provider has already asked once more quoting the
    // validation error, and a model at temperature 0 would answer the same.
    const deterministic = isAppError(e, 'AI_INVALID_OUTPUT');
    if (!deterministic && triesOf(job) < (state.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts)) throw e;
    const code = isAppError(e, 'AI_INVALID_OUTPUT') ? 'ai_invalid_output' : 'ai_unavailable';
    // The reason names the real cause (for a breaker's refusal, the failure that opened it).
    const reasons: RouteReason[] = [{ code, message: failureMessage(e, failure), ai: failure }];
    const decision: DecisionRecord = {
      ...base,
      result: null,
      route: 'review',
      reasons,
      calibratedConfidence: 0,
      score: null,
      auditProbability: 1,
      threshold: state.policy.autoAcceptAt ?? null,
      failure,
    };
    return { kind: 'await-review', review: review(reasons, state.policy.queue), decision };
  }
  // Fixed thresholds trust the calibrated confidence: the probability, learnt from human labels,
  // that an answer given with this raw confidence by this model version, confidence method and
  // prompt is right. Certified thresholds are on the score, which calibration (monotone) would
  // only flatten.
  const calibrated = deps.calibration
    ? await deps.calibration.calibrate(
        deps.db,
        {
          agent: state.agent.name,
          modelVersion: result.modelVersion,
          confidenceMethod: result.confidenceMethod,
          promptVersion: result.promptVersion,
        },
        result.confidence,
      )
    : { value: result.confidence, calibratorId: null };
  const check = state.checker ? await runChecker(deps, job, state, ctx, text, result.label) : undefined;
  let confidence = calibrated.value;
  // No confidence worth the name (a deterministic endpoint, nothing else configured): never
  // automated, and no score for certification to rank.
  const noConfidence = result.confidenceMethod === 'unavailable';
  let score = scoreOf(result);
  const checkerReasons: RouteReason[] = noConfidence
    ? [
        {
          code: 'confidence_unavailable',
          message: `The model answered "${result.label}" but gave no usable confidence: ${result.confidenceNote ?? 'the endpoint offers none'}`,
        },
      ]
    : [];
  if (check && !check.agrees) {
    if ((state.checker?.onDisagree ?? 'review') === 'lower') {
      const penalty = state.checker?.penalty ?? 0.5;
      confidence *= penalty;
      // The same penalty on the odds: certification sees the scores decisions were routed by.
      score += Math.log(Math.max(penalty, 1e-12));
    } else
      checkerReasons.push({
        code: check.error ? 'ai_unavailable' : 'checker_disagrees',
        message: check.message,
        ...(check.failure ? { ai: check.failure } : {}),
      });
  }
  const certified = state.policy.autoAccept ? await certifiedPolicy(deps, workflowName, job.state, result) : undefined;
  const fieldGates = extracted ? await certifiedFields(deps, workflowName, job.state, state, result) : undefined;
  const routed = routeDecision(
    state.policy,
    ctx,
    {
      label: result.label,
      confidence,
      score,
      ...(extracted ? { value: extracted.value, fields: extracted.fields } : {}),
    },
    certified?.gate,
    fieldGates?.gates,
  );
  // Without a confidence, "below the threshold" would only restate confidence_unavailable.
  const thresholdCodes = ['low_confidence', 'below_certified_threshold'];
  const reasons = [
    ...checkerReasons,
    ...(noConfidence ? routed.reasons.filter((r) => !thresholdCodes.includes(r.code)) : routed.reasons),
  ];
  const routing = { ...routed, reasons, route: reasons.length > 0 ? ('review' as const) : routed.route };
  const threshold = certified
    ? certified.gate.open
      ? certified.gate.threshold
      : null
    : (state.policy.autoAcceptAt ?? null);
  const decision: DecisionRecord = {
    ...base,
    result,
    route: routing.route,
    reasons: routing.reasons,
    calibratedConfidence: confidence,
    calibratorId: calibrated.calibratorId,
    score: noConfidence ? null : score,
    auditProbability: auditProbability(state.policy, { route: routing.route, score, threshold }),
    threshold,
    policyVersionId: certified?.policy?.id ?? null,
    certificateId: certified?.gate.open ? (certified.policy?.certificate?.id ?? null) : null,
    ...(check ? { checker: check } : {}),
    ...(extracted
      ? {
          structured: {
            value: extracted.value,
            fields: extracted.fields,
            ...(fieldGates ? { certifiedFields: fieldGates.routedOn } : {}),
          },
        }
      : {}),
  };
  if (routing.route === 'review')
    return { kind: 'await-review', review: review(routing.reasons, routing.queue ?? state.policy.queue), decision };
  const output = {
    label: result.label,
    confidence,
    decidedBy: 'ai',
    rationale: result.rationale ?? null,
    ...(extracted ? { value: extracted.value, fields: extracted.fields } : {}),
  };
  const rate = decision.auditProbability;
  if (isSampled(createHash('sha256').update(idempotencyKeyOf(job)).digest().readUInt32BE(0), rate)) {
    const reasons: RouteReason[] = [
      {
        code: 'qa_sample',
        message: `Auto-accepted, and sampled for quality review (${formatPercent(rate)} of such decisions)`,
      },
    ];
    const qa = {
      ...review(reasons, state.policy.sampleQueue ?? state.policy.queue),
      kind: 'qa' as const,
      dueInMinutes: undefined,
      reviewers: 1,
    };
    return { kind: 'advance', output, next: state.next, decision: { ...decision, route: 'sampled', reasons }, qa };
  }
  return { kind: 'advance', output, next: state.next, decision };
}
