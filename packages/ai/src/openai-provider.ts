import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import {
  decisionRequest,
  decisionText,
  excerpt,
  type ModelDecision,
  OUTPUT_MODES,
  type OutputMode,
  parseDecisionOutput,
} from './decision-output';
import { labelConfidenceFromLogprobs } from './label-confidence';
import { verbalizedScore } from './log-odds';
import { costUsd, type PriceTable, priceOf } from './pricing';
import { inputHash, promptVersion } from './prompt-version';
import type { ConfidenceMethod, DecideRequest, DecideResult, DecisionProvider, ToolCallRecord } from './provider';
import { createRequestLimiter, type LimiterState, LimiterWaitAborted } from './rate-limit';
import { drawSamples, majorityVote, type SamplingSupport } from './self-consistency';
import { DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_ROUNDS, runToolCall, toolDefinitions } from './tools';

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Where the confidence comes from when the endpoint returns no usable log probabilities. */
export type ConfidenceFallback = 'self-consistency' | 'verbalized';

export interface OpenAIProviderOptions {
  apiKey: string;
  /** Any OpenAI-compatible endpoint (Azure OpenAI, vLLM, Ollama, llama.cpp server). Default OpenAI's. */
  baseURL?: string;
  /** Used when the agent names no model. Default `gpt-4o-mini`. */
  model?: string;
  /** Per attempt: a call can take up to (maxRetries + 1) x timeoutMs plus back-off. Default 30000. */
  timeoutMs?: number;
  /** Retries of connection errors, timeouts, 408, 409, 429 and 5xx (the SDK's policy). Default 2. */
  maxRetries?: number;
  /**
   * Without log probabilities: `self-consistency` (default) draws `samples` more answers at
   * `sampleTemperature` and uses their agreement; `verbalized` takes the model's own `confidence`.
   */
  confidenceFallback?: ConfidenceFallback;
  /** Answers drawn for self-consistency. Default 5. */
  samples?: number;
  /** Temperature of the self-consistency samples. Default 0.7. */
  sampleTemperature?: number;
  /** Requests in flight at once from this provider instance. Default 8. */
  maxConcurrency?: number;
  /** Token budget per minute of this provider instance (input + output). Default unlimited. */
  tokensPerMinute?: number;
  /**
   * Output tokens the tokens-per-minute budget reserves per answer until the actual usage is
   * known (not sent to the endpoint). Default 512.
   */
  maxOutputTokens?: number;
  /** Prices by model name, consulted before `DEFAULT_PRICES`; see `priceOf`. */
  pricing?: PriceTable;
  /** Time limit of one call of an agent's tool. Default 10000. */
  toolTimeoutMs?: number;
}

/** The OpenAI-compatible provider, with a view of its limiter (for tests and metrics). */
export interface OpenAIDecisionProvider extends DecisionProvider {
  limiterState(): LimiterState;
}

/** What this provider instance has learnt about an endpoint's model from its answers. */
interface ModelTraits {
  output: OutputMode;
  sampling: SamplingSupport;
}

interface Answer {
  decision: ModelDecision;
  /** The decision JSON as generated (content or tool-call arguments). */
  text: string;
}

/**
 * A provider for any OpenAI-compatible chat completions endpoint, through the `openai` SDK:
 * structured output (strict JSON schema whose `label` is an enum of the allowed labels; a forced
 * tool call, then JSON mode, for endpoints that refuse it), the agent's instructions as the system
 * message, temperature 0, and token log probabilities from which the label's confidence is
 * computed (`labelConfidenceFromLogprobs`, method `logprobs`). Without log probabilities, the
 * agreement of `samples` sampled answers (method `self-consistency`) or, if so configured, the
 * model's own `confidence` (method `verbalized`). Requests pass an in-process limiter
 * (`maxConcurrency`, `tokensPerMinute`); each result carries its token usage and estimated cost.
 * Retries and timeouts are the SDK's; what still fails is `AI_UNAVAILABLE`.
 *
 * @example
 * const openai = createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, model: 'gpt-4o-mini' });
 * const r = await openai.decide(db, {
 *   agent: { name: 'refunds', instructions: 'Is this a refund request?' },
 *   labels: ['refund', 'other'],
 *   text: 'I want my money back',
 * });
 * r.confidenceMethod; // 'logprobs'
 * r.costUsd; // e.g. 0.0000312
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): OpenAIDecisionProvider {
  const baseURL = options.baseURL ?? DEFAULT_OPENAI_BASE_URL;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 2;
  const fallback = options.confidenceFallback ?? 'self-consistency';
  const samples = Math.max(1, Math.floor(options.samples ?? 5));
  const sampleTemperature = options.sampleTemperature ?? 0.7;
  const maxOutputTokens = options.maxOutputTokens ?? 512;
  const toolTimeoutMs = options.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const client = new OpenAI({
    apiKey: options.apiKey,
    // Explicit values everywhere: otherwise the SDK reads OPENAI_BASE_URL, OPENAI_ORG_ID,
    // OPENAI_PROJECT_ID and OPENAI_ADMIN_KEY from process.env behind the app's env.ts.
    baseURL,
    organization: null,
    project: null,
    adminAPIKey: null,
    timeout: timeoutMs,
    maxRetries,
  });
  const endpoint = redact(baseURL);
  const limiter = createRequestLimiter({
    maxConcurrency: options.maxConcurrency ?? 8,
    ...(options.tokensPerMinute !== undefined ? { tokensPerMinute: options.tokensPerMinute } : {}),
  });
  const traitsByModel = new Map<string, ModelTraits>();
  const traitsOf = (model: string): ModelTraits => {
    let t = traitsByModel.get(model);
    if (!t) {
      t = { output: 'json_schema', sampling: 'n' };
      traitsByModel.set(model, t);
    }
    return t;
  };

  /** One chat completion through the limiter; SDK errors are left to the caller. */
  function complete(body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal | undefined) {
    const estimate = {
      inputTokens: Math.ceil(JSON.stringify(body).length / 4),
      outputTokens: maxOutputTokens * (body.n ?? 1),
    };
    return limiter.run(
      estimate,
      signal,
      () => client.chat.completions.create(body, { signal: signal ?? null }),
      (c) => (c.usage ? c.usage.prompt_tokens + c.usage.completion_tokens : undefined),
    );
  }

  return {
    name: 'openai',
    limiterState: () => limiter.state(),
    async decide(_db: Kysely<DB>, req: DecideRequest): Promise<DecideResult> {
      const model = req.agent.model ?? options.model ?? DEFAULT_OPENAI_MODEL;
      const target = `${endpoint} (model ${model})`;
      const traits = traitsOf(model);
      const started = performance.now();
      const completions: ChatCompletion[] = [];
      // The agent's tools ride along with the structured output; the forced decision call of
      // `tool_call` mode would collide with them, so with tools that mode is skipped.
      const agentTools = req.agent.tools ?? [];
      const tools = agentTools.length > 0 ? toolDefinitions(agentTools) : undefined;
      const modes = tools ? OUTPUT_MODES.filter((m) => m !== 'tool_call') : OUTPUT_MODES;
      /** The tool rounds so far: assistant messages with their calls and the `role: 'tool'` results. */
      const conversation: ChatCompletionMessageParam[] = [];
      const toolCalls: ToolCallRecord[] = [];
      const body = (mode: OutputMode, extra: Partial<ChatCompletionCreateParamsNonStreaming>) => {
        const request = decisionRequest(mode, req.agent.instructions, req.text, req.labels);
        return {
          model,
          ...request,
          ...(tools ? { messages: [...request.messages, ...conversation], tools, tool_choice: 'auto' } : {}),
          ...extra,
        } as ChatCompletionCreateParamsNonStreaming;
      };
      const fail = (e: unknown, note = '') => {
        if (e instanceof AppError) return e;
        return unavailable(e, target, { timeoutMs, attempts: maxRetries + 1 }, note);
      };

      // The first answer, at temperature 0 with log probabilities, in the best output mode the
      // endpoint accepts: a mode it refuses (HTTP 400 naming it) is not tried again by this instance.
      let mode = modes.includes(traits.output) ? traits.output : (modes.at(-1) as OutputMode);
      const refused: string[] = [];
      const ask = async (): Promise<ChatCompletion> => {
        for (;;) {
          try {
            return await complete(body(mode, { temperature: 0, logprobs: true, top_logprobs: 5 }), req.signal);
          } catch (e) {
            const next = modes[modes.indexOf(mode) + 1];
            if (!next || !refusesMode(e, mode)) {
              throw fail(e, refused.length > 0 ? ` (after the endpoint refused ${refused.join(' and ')})` : '');
            }
            refused.push(mode);
            // What the refusal teaches about the model, with or without tools: the next mode at least.
            const learnt = OUTPUT_MODES[OUTPUT_MODES.indexOf(mode) + 1] as OutputMode;
            if (OUTPUT_MODES.indexOf(traits.output) < OUTPUT_MODES.indexOf(learnt)) traits.output = learnt;
            mode = next;
          }
        }
      };
      let completion: ChatCompletion;
      let choice: ChatCompletion['choices'][number] | undefined;
      for (let round = 0; ; round++) {
        completion = await ask();
        completions.push(completion);
        choice = completion.choices?.[0];
        if (!choice?.message) {
          throw new AppError(
            'AI_UNAVAILABLE',
            `${endpoint} answered HTTP 200 without a chat completion choice: ${excerpt(JSON.stringify(completion) ?? '')}`,
          );
        }
        const calls = tools ? (choice.message.tool_calls ?? []) : [];
        if (calls.length === 0) break;
        if (round >= MAX_TOOL_ROUNDS) {
          throw new AppError(
            'AI_INVALID_OUTPUT',
            `model ${model} kept calling tools: still calling ${calls.map((c) => (c.type === 'function' ? c.function.name : c.type)).join(', ')} after ${MAX_TOOL_ROUNDS} rounds`,
          );
        }
        conversation.push({ role: 'assistant', content: choice.message.content ?? null, tool_calls: calls });
        for (const call of calls) {
          const { record, content } =
            call.type === 'function'
              ? await runToolCall(agentTools, call.function, { timeoutMs: toolTimeoutMs, signal: req.signal })
              : {
                  record: {
                    name: call.custom.name,
                    arguments: call.custom.input,
                    ok: false,
                    error: 'not a function tool',
                    latencyMs: 0,
                  },
                  content: JSON.stringify({ error: 'only function tools are available' }),
                };
          toolCalls.push(record);
          conversation.push({ role: 'tool', tool_call_id: call.id, content });
        }
      }
      const first = readAnswer(choice, mode, model, req.labels);

      let label = first.decision.label;
      let rationale = first.decision.rationale;
      let confidence: number;
      let score: number;
      let confidenceMethod: ConfidenceMethod;
      const tokens = choice.logprobs?.content;
      const fromLogprobs =
        tokens && tokens.length > 0
          ? labelConfidenceFromLogprobs(first.text, tokens, first.decision.label, req.labels)
          : undefined;
      if (fromLogprobs) {
        confidence = fromLogprobs.confidence;
        score = fromLogprobs.score;
        confidenceMethod = 'logprobs';
      } else if (fallback === 'verbalized') {
        confidence = first.decision.confidence;
        score = verbalizedScore(confidence);
        confidenceMethod = 'verbalized';
      } else {
        let drawn: Awaited<ReturnType<typeof drawSamples<Answer | undefined>>>;
        try {
          drawn = await drawSamples(
            samples,
            traits.sampling,
            async (n) => {
              const c = await complete(
                body(mode, {
                  temperature: sampleTemperature,
                  ...(n === undefined ? {} : { n }),
                  // Samples answer from the same tool results; they call no tools themselves.
                  ...(tools ? { tool_choice: 'none' as const } : {}),
                }),
                req.signal,
              );
              completions.push(c);
              return (c.choices ?? []).map((ch) => {
                try {
                  return readAnswer(ch, mode, model, req.labels);
                } catch {
                  return undefined; // an unusable sample counts as disagreeing
                }
              });
            },
            refusesN,
          );
        } catch (e) {
          throw fail(e, ' (drawing self-consistency samples)');
        }
        traits.sampling = drawn.support;
        const vote = majorityVote(
          first.decision.label,
          drawn.answers.map((a) => a?.decision.label),
        );
        label = vote.label;
        confidence = vote.confidence;
        score = vote.score;
        confidenceMethod = 'self-consistency';
        if (label !== first.decision.label) {
          rationale = drawn.answers.find((a) => a?.decision.label === label)?.decision.rationale ?? rationale;
        }
      }
      const latencyMs = Math.round(performance.now() - started);

      // The endpoint names the snapshot that answered (gpt-4o-mini -> gpt-4o-mini-2024-07-18).
      const modelVersion = completion.model || model;
      const usage = sumUsage(completions);
      return {
        label,
        rationale,
        confidence,
        score,
        confidenceMethod,
        provider: 'openai',
        model,
        modelVersion,
        promptVersion: promptVersion(req.agent.instructions, req.labels),
        inputHash: inputHash(req.text),
        latencyMs,
        tokensIn: usage?.tokensIn,
        tokensOut: usage?.tokensOut,
        costUsd: costUsd(priceOf(model, modelVersion, options.pricing), usage?.tokensIn, usage?.tokensOut),
        outputMode: mode,
        ...(tools ? { toolCalls } : {}),
      };
    },
  };
}

/** Validates one choice's answer, or throws `AI_INVALID_OUTPUT` saying what was wrong with it. */
function readAnswer(
  choice: ChatCompletion['choices'][number],
  mode: OutputMode,
  model: string,
  labels: readonly string[],
): Answer {
  const { message } = choice;
  if (message.refusal) {
    throw new AppError('AI_INVALID_OUTPUT', `model ${model} refused to answer: ${excerpt(message.refusal)}`);
  }
  if (choice.finish_reason === 'length' || choice.finish_reason === 'content_filter') {
    throw new AppError(
      'AI_INVALID_OUTPUT',
      `model ${model} stopped early (finish_reason "${choice.finish_reason}"): ${excerpt(message.content ?? '')}`,
    );
  }
  const text = decisionText(mode, message);
  if (text === undefined) {
    throw new AppError(
      'AI_INVALID_OUTPUT',
      mode === 'tool_call'
        ? `model ${model} did not call the decision function (finish_reason "${choice.finish_reason}")`
        : `model ${model} answered no content (finish_reason "${choice.finish_reason}")`,
    );
  }
  return { decision: parseDecisionOutput(text, labels), text };
}

/** Token usage over every completion of one decision; `undefined` if any went unreported. */
function sumUsage(completions: readonly ChatCompletion[]): { tokensIn: number; tokensOut: number } | undefined {
  let tokensIn = 0;
  let tokensOut = 0;
  for (const c of completions) {
    if (!c.usage) return undefined;
    tokensIn += c.usage.prompt_tokens;
    tokensOut += c.usage.completion_tokens;
  }
  return { tokensIn, tokensOut };
}

/** Whether an error is the endpoint refusing an output mode (vLLM, TGI and older servers answer 400). */
function refusesMode(e: unknown, mode: OutputMode): boolean {
  if (!(e instanceof APIError) || (e.status !== 400 && e.status !== 422)) return false;
  const said = `${e.param ?? ''} ${e.message}`;
  if (mode === 'json_schema') return /response_format|json_schema/i.test(said);
  if (mode === 'tool_call') return /\btools?\b|tool_choice|function/i.test(said);
  return false;
}

/** Whether an error is the endpoint refusing `n` > 1 (llama.cpp: "Only one completion choice is allowed"). */
function refusesN(e: unknown): boolean {
  if (!(e instanceof APIError) || (e.status !== 400 && e.status !== 422)) return false;
  return e.param === 'n' || /\bn\b|\bchoices?\b/i.test(e.message.replace(/^\d{3}\s/, ''));
}

/** Turns what the SDK throws after its retries into an `AI_UNAVAILABLE` that says what happened. */
function unavailable(e: unknown, target: string, limits: { timeoutMs: number; attempts: number }, note = ''): AppError {
  const tries = `${limits.attempts} attempt${limits.attempts === 1 ? '' : 's'}`;
  let message: string;
  if (e instanceof APIUserAbortError) {
    message = `request to ${target} aborted by the caller`;
  } else if (e instanceof LimiterWaitAborted) {
    message = `request to ${target} aborted by the caller while it waited for the provider's request limits`;
  } else if (e instanceof APIConnectionTimeoutError) {
    message = `request to ${target} timed out after ${limits.timeoutMs} ms per attempt (${tries})`;
  } else if (e instanceof APIConnectionError) {
    const cause = e.cause instanceof Error ? `${e.cause.message}${causeCode(e.cause)}` : e.message;
    message = `could not connect to ${target}: ${cause} (${tries})`;
  } else if (e instanceof APIError) {
    const retried = e.status === 408 || e.status === 409 || e.status === 429 || (e.status ?? 0) >= 500;
    message = `${target} answered HTTP ${e.status}${retried ? ` after ${tries}` : ' (not retried)'}: ${e.message}`;
  } else {
    message = `calling ${target} failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return new AppError('AI_UNAVAILABLE', `${message}${note}`, { cause: e });
}

/** undici hides the interesting part ("other side closed", ECONNREFUSED) one level deeper. */
function causeCode(e: Error): string {
  const inner = e.cause as { code?: unknown; message?: unknown } | undefined;
  if (!inner) return '';
  const detail = [inner.code, inner.message].filter((x) => typeof x === 'string' && x !== '').join(' ');
  return detail ? ` (${detail})` : '';
}

/** A base URL without credentials or query, fit for error messages and logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`.replace(/\/$/, '');
  } catch {
    return '(invalid base URL)';
  }
}
