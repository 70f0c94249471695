// The steps every answer of the OpenAI-compatible provider goes through, whatever it answers (a
// classification's label, a structured object): the types that `openai-provider.ts` implements
// and `openai-extract.ts` composes.
import type { AgentSpec, AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ModelCapabilities, RecentIds } from './capabilities';
import type { OutputMode } from './decision-output';
import type { TokenLogprob } from './label-confidence';
import type { DecideResult, ToolCallRecord } from './provider';
import type { SamplingSupport } from './self-consistency';

/** What this provider instance has learnt about an endpoint's model from its answers. */
export interface ModelState {
  caps: ModelCapabilities;
  output: OutputMode;
  /** Parameters the endpoint refused, left out of every later request. */
  dropped: Set<'logprobs' | 'temperature'>;
  sampling: SamplingSupport;
  /** The first call has taught the parameters: later calls need not wait for it. */
  learnt: boolean;
  /** While the first call learns, the others wait here (single flight). */
  gate?: Promise<void>;
  samplingProbe?: Promise<void>;
  /** The sampling probe has run to an end (an outage does not count): not asked again. */
  samplingChecked?: boolean;
  ids: RecentIds;
  /** Changed since last stored. */
  dirty: boolean;
}

/** A validated answer, and its JSON as generated (content or tool-call arguments). */
export interface Answer<V> {
  value: V;
  text: string;
}

/** What a request without a usable answer says: an AppError, or the invalid answer to repair. */
export type Read<V> = { ok: true; answer: Answer<V> } | { ok: false; error: AppError; text?: string };

/** What one kind of answer asks of the model and how its answer is read. */
export interface AnswerKind<V> {
  /** The messages and the `response_format` or forced `tools` of a request in `mode`. */
  request(
    mode: OutputMode,
  ): Pick<ChatCompletionCreateParamsNonStreaming, 'messages'> &
    Partial<Pick<ChatCompletionCreateParamsNonStreaming, 'response_format' | 'tools' | 'tool_choice'>>;
  /** Parses and validates the answer's JSON text; throws `AI_INVALID_OUTPUT` saying what is wrong. */
  parse(text: string): V;
  /** Added to the re-ask after "…one JSON object that matches the schema" (e.g. the allowed labels). */
  repairHint: string;
}

export interface AnswerRequest {
  agent: AgentSpec;
  text: string;
  signal?: AbortSignal;
}

/** The first answer of a request and everything the later steps need of it. */
export interface FirstAnswer<V> {
  model: string;
  st: ModelState;
  mode: OutputMode;
  /** performance.now() at the start. */
  started: number;
  /** Every completion so far (samples are added as they come). */
  completions: ChatCompletion[];
  /** The completion that gave the first answer (after a repair, the repaired one). */
  last: ChatCompletion;
  choice: ChatCompletion['choices'][number];
  first: Answer<V>;
  /** The validation error of the answer before the repair, if there was one. */
  repairedAfter?: string;
  toolCalls: ToolCallRecord[];
  withTools: boolean;
  samples: number;
  fallback: 'self-consistency' | 'verbalized' | 'review';
  whenUnavailable: 'review' | 'verbalized';
  body(
    mode: OutputMode,
    extra: Partial<ChatCompletionCreateParamsNonStreaming>,
    repair?: ChatCompletionMessageParam[],
  ): ChatCompletionCreateParamsNonStreaming;
  failure(e: unknown, note?: string): AppError;
  read(choice: ChatCompletion['choices'][number]): Read<V>;
}

/** The provider's steps, for a kind of answer to compose (see `extractWithMachinery`). */
export interface AnswerMachinery {
  firstAnswer<V>(db: Kysely<DB> | undefined, req: AnswerRequest, kind: AnswerKind<V>): Promise<FirstAnswer<V>>;
  answerLogprobs(a: FirstAnswer<unknown>): { tokens: TokenLogprob[] } | { why: string };
  logprobsHonoured(a: FirstAnswer<unknown>): void;
  sampleAnswers<V>(
    db: Kysely<DB> | undefined,
    a: FirstAnswer<V>,
    signal: AbortSignal | undefined,
    agent: AgentSpec,
    why: string,
  ): Promise<{ ok: true; answers: (Answer<V> | undefined)[] } | { ok: false; reason: string }>;
  answerRecord(
    db: Kysely<DB> | undefined,
    a: FirstAnswer<unknown>,
    agent: AgentSpec,
    text: string,
    prompt: string,
  ): Pick<
    DecideResult,
    | 'provider'
    | 'model'
    | 'modelVersion'
    | 'promptVersion'
    | 'inputHash'
    | 'latencyMs'
    | 'tokensIn'
    | 'tokensOut'
    | 'costUsd'
    | 'outputMode'
    | 'toolCalls'
  >;
}
