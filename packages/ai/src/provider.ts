import type { AgentSpec, FieldConfidenceRecord, FieldSpec } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { OutputMode } from './decision-output';

/** One classification asked of an AI agent. */
export interface DecideRequest {
  agent: AgentSpec;
  /** The answers the agent may give; its answer is always one of these. */
  labels: readonly string[];
  /** The text the agent classifies. */
  text: string;
  /** Aborts the call; the provider then throws `AI_UNAVAILABLE`. */
  signal?: AbortSignal;
}

/**
 * How a raw confidence was obtained, recorded with every decision so calibration can tell them apart:
 * `logprobs` (token log probabilities of the label), `self-consistency` (share of sampled answers
 * that agree), `verbalized` (the model's own rating: the last resort), `posterior` (the local model's
 * softmax probability, or naive Bayes posterior for versions stored before it), `unavailable` (no
 * confidence worth the name: a deterministic endpoint whose samples cannot vary, and the agent did
 * not opt into the verbalised rating; such a decision always goes to review, with `confidence` 0).
 */
export type ConfidenceMethod = 'logprobs' | 'self-consistency' | 'verbalized' | 'posterior' | 'unavailable';

export type ProviderName = 'openai' | 'local';

/**
 * A validated answer with everything the decision record needs: who answered (provider, model and
 * its version), to which prompt (`promptVersion`) and input (`inputHash`), how sure it was, at what
 * cost.
 */
export interface DecideResult {
  /** Always one of the request's `labels`. */
  label: string;
  rationale?: string;
  /** Raw (uncalibrated) confidence in `label`, 0..1. */
  confidence: number;
  /**
   * The decision's ranking score: the natural-log odds of `label` against all the other labels,
   * unbounded and never rounded, so it keeps ordering decisions where `confidence` rounds to 1.
   * Higher means more likely right. Per `confidenceMethod`:
   * - `posterior` (local model): z_label - logsumexp(z_others) over the model's logits (log joints
   *   for stored naive Bayes versions), i.e. logit(confidence) computed in log space;
   * - `logprobs`: ln(joint probability of the label) - ln(total probability of the competing labels
   *   seen in the top log probabilities), i.e. logit(confidence);
   * - `self-consistency`: logit of the smoothed agreement share, ln((votes + 0.5) / (samples - votes + 0.5));
   * - `verbalized`: logit of the stated confidence clamped to [0.001, 0.999].
   * `+Infinity` when no other label is possible (a single label offered, the other labels without
   * training examples) or, with `logprobs`, no competing label was seen; `-Infinity` when the
   * label's own tokens have probability 0; never NaN. Scores of
   * different methods are not on one scale: compare (and certify thresholds) within a method and
   * model version.
   */
  score: number;
  confidenceMethod: ConfidenceMethod;
  provider: ProviderName;
  model: string;
  modelVersion: string;
  /** First 12 hex digits of the SHA-256 of the instructions and labels: see `promptVersion()`. */
  promptVersion: string;
  /** SHA-256 hex of the text. */
  inputHash: string;
  latencyMs: number;
  /** Input tokens of every request the decision took (self-consistency samples included). */
  tokensIn?: number;
  tokensOut?: number;
  /**
   * Estimated cost in US dollars of those tokens at the model's list price (`priceOf`);
   * `undefined` when the price or the usage is unknown. Decisions of the local model are recorded
   * at 0.
   */
  costUsd?: number;
  /** How the OpenAI-compatible provider imposed the output schema (see `OutputMode`). */
  outputMode?: OutputMode;
  /**
   * Why the confidence is not what `confidenceMethod` alone suggests: log probabilities present but
   * not spelling the answer, self-consistency impossible on a deterministic endpoint, the verbalised
   * rating used as the fallback for it. Stored with the decision.
   */
  confidenceNote?: string;
  /**
   * The calls the model made to the agent's tools before it answered, in order (OpenAI-compatible
   * provider, agents with `tools` only; absent otherwise).
   */
  toolCalls?: ToolCallRecord[];
}

/** One call of an agent's tool, as fed back to the model and recorded with the decision. */
export interface ToolCallRecord {
  name: string;
  /** The arguments as the model sent them: parsed JSON, or the raw text when it was not JSON. */
  arguments: unknown;
  ok: boolean;
  /** The result as fed back to the model (JSON; a string ending in `…[truncated: ...]` when cut). */
  result?: unknown;
  /** Why the call failed: unknown tool, arguments not JSON or off-schema, the tool threw or timed out. */
  error?: string;
  latencyMs: number;
}

/**
 * Something that answers `decide` states. Failures are `AppError`s: `AI_UNAVAILABLE` when the
 * model could not be reached (after the provider's own retries), `AI_INVALID_OUTPUT` when it
 * answered something unusable (not JSON, off-schema, a refusal, a label not offered).
 *
 * @example
 * const provider: DecisionProvider = selectProvider(env);
 * const result = await provider.decide(db, {
 *   agent: { name: 'refunds', instructions: 'Is this a refund request?' },
 *   labels: ['refund', 'other'],
 *   text: 'I want my money back',
 * });
 * if (result.confidence < 0.8) routeToReview(result);
 */
export interface DecisionProvider {
  readonly name: ProviderName;
  decide(db: Kysely<DB>, req: DecideRequest): Promise<DecideResult>;
  /**
   * A structured answer (an extraction, a scored risk, a draft): an object `req.schema` accepts,
   * with a confidence per leaf field and an overall one. Providers without it cannot serve a
   * decide state with an `output` schema (the engine then records `AI_UNAVAILABLE`).
   */
  extract?(db: Kysely<DB>, req: ExtractRequest): Promise<ExtractResult>;
}

/** One structured answer asked of an AI agent (a decide state with an `output` schema). */
export interface ExtractRequest {
  agent: AgentSpec;
  /** What the answer must parse as; the provider validates with it. */
  // biome-ignore lint/suspicious/noExplicitAny: any object schema.
  schema: z.ZodObject<any>;
  /** Its fields (`outputFields(schema)`): leaf fields carry the confidences. */
  fields: readonly FieldSpec[];
  /** The JSON Schema of `schema` (`outputJsonSchema`), as given to models. */
  jsonSchema: Record<string, unknown>;
  /** The text to extract from (or to draft from). */
  text: string;
  /** The workflow and state asking: the built-in extractor learns per (agent, field). */
  workflow?: string;
  state?: string;
  signal?: AbortSignal;
}

/**
 * A validated structured answer. `confidence` and `score` are the overall ones (the chance that
 * every field is right: the joint probability of the answer's tokens with `logprobs`, the share of
 * samples that agree on every field with `self-consistency`, the product of the fields' with
 * `posterior`), `confidenceMethod` how the overall one was measured; `fields` has each leaf field's
 * own, with its method (fields of one answer may differ: a field whose value the log probabilities
 * do not spell falls back to agreement across samples).
 */
export interface ExtractResult extends Omit<DecideResult, 'label'> {
  /** What `req.schema` parsed. */
  value: Record<string, unknown>;
  /** Confidence per leaf field, by dotted path (every leaf field of the schema present in `value`). */
  fields: Record<string, FieldConfidenceRecord>;
}
