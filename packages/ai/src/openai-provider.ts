import { createHash } from 'node:crypto';
import { type AgentSpec, type AiFailure, AppError, type FieldIssue } from '@signoff/core';
import type { DB } from '@signoff/db';
import { maskPiiText } from '@signoff/governance';
import type { Kysely } from 'kysely';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import {
  type ModelCapabilities,
  type OptionalParameter,
  providerMessage,
  RecentIds,
  refusedParameter,
  unknownCapabilities,
} from './capabilities';
import {
  decisionRequest,
  decisionText,
  excerpt,
  type ModelDecision,
  OUTPUT_MODES,
  type OutputMode,
  parseDecisionOutput,
} from './decision-output';
import { labelConfidenceFromLogprobs, type TokenLogprob } from './label-confidence';
import { verbalizedScore } from './log-odds';
import type {
  Answer,
  AnswerKind,
  AnswerMachinery,
  AnswerRequest,
  FirstAnswer,
  ModelState,
  Read,
} from './openai-answer';
import { extractWithMachinery } from './openai-extract';
import { costUsd, type PriceTable, priceOf } from './pricing';
import { inputHash, promptVersion } from './prompt-version';
import type {
  ConfidenceMethod,
  DecideRequest,
  DecideResult,
  DecisionProvider,
  ExtractRequest,
  ExtractResult,
  ToolCallRecord,
} from './provider';
import { createRequestLimiter, type LimiterState, LimiterWaitAborted, type RequestLimiter } from './rate-limit';
import { drawSamples, majorityVote } from './self-consistency';
import { DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_ROUNDS, runToolCall, toolDefinitions } from './tools';

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * Where the confidence comes from when the endpoint returns no usable log probabilities:
 * `self-consistency` (agreement of sampled answers), `verbalized` (the model's own rating, flagged),
 * `review` (none: the decision goes to a person with the reason `confidence_unavailable`).
 */
export type ConfidenceFallback = 'self-consistency' | 'verbalized' | 'review';

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
   * `sampleTemperature` and uses their agreement; `verbalized` takes the model's own `confidence`;
   * `review` sends the decision to a person. An agent's `ai.confidenceFallback` overrides it.
   */
  confidenceFallback?: ConfidenceFallback;
  /**
   * When self-consistency cannot work (the endpoint's samples never vary: it ignores temperature, or
   * a gateway caches answers): `review` (default) or `verbalized`, flagged in the decision's note.
   */
  whenConfidenceUnavailable?: 'review' | 'verbalized';
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

/** The OpenAI-compatible provider, with a view of its limiter and of what it learnt about models. */
export interface OpenAIDecisionProvider extends DecisionProvider {
  /** A structured answer: see `extractWithMachinery` for how it is asked for and measured. */
  extract(db: Kysely<DB>, req: ExtractRequest): Promise<ExtractResult>;
  limiterState(): LimiterState;
  /** What this instance has learnt about a model (default: the provider's), `undefined` if nothing yet. */
  capabilities(model?: string): ModelCapabilities | undefined;
  /**
   * Asks the endpoint afresh what `model` supports: a small decision in each output mode, with log
   * probabilities, and a sampling check at temperature 1. Stores the result (`model_capabilities`)
   * when given a database. Throws `AI_UNAVAILABLE` when the endpoint cannot be reached.
   */
  probe(db: Kysely<DB> | undefined, model?: string): Promise<ModelCapabilities>;
}

/** The system message of the sampling probe, so servers' logs and our fake can tell it apart. */
export const SAMPLING_PROBE_MARKER = 'Signoff capability probe (sampling)';

/**
 * A provider for any OpenAI-compatible chat completions endpoint, through the `openai` SDK:
 * structured output (strict JSON schema whose `label` is an enum of the allowed labels; a forced
 * tool call, then JSON mode, for endpoints that refuse it), the agent's instructions as the system
 * message, temperature 0, and token log probabilities from which the label's confidence is
 * computed (`labelConfidenceFromLogprobs`, method `logprobs`).
 *
 * What the endpoint supports is learnt once per model, not once per call: the first call goes
 * alone while the others wait, and a refusal naming a parameter (HTTP 400 or 422 naming
 * `response_format`, `tools`, `logprobs`, `top_logprobs`, `temperature` or `n`) drops that parameter
 * from then on. Without usable log probabilities, the agreement of `samples` sampled answers
 * (method `self-consistency`), but only on an endpoint whose samples vary (checked once by a
 * sampling probe at temperature 1, and on every draw for answers served twice); otherwise the
 * confidence is `unavailable` (to review) or, if so configured, the model's own rating (`verbalized`,
 * with a note). An answer that fails validation is asked again once, quoting the error.
 * Requests pass in-process limiters (`maxConcurrency`, `tokensPerMinute`, per provider and per
 * agent); each result carries its token usage and estimated cost. Retries and timeouts are the
 * SDK's; what still fails is `AI_UNAVAILABLE` with `AiFailure` details. Structured answers
 * (`extract`, decide states with an `output` schema) take the same steps with the state's schema
 * and a confidence per field: see `extractWithMachinery`.
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
  const defaultModel = options.model ?? DEFAULT_OPENAI_MODEL;
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
    fetch: withOpenAIErrorShape,
  });
  const endpoint = redact(baseURL);
  const limiter = createRequestLimiter({
    maxConcurrency: options.maxConcurrency ?? 8,
    ...(options.tokensPerMinute !== undefined ? { tokensPerMinute: options.tokensPerMinute } : {}),
  });
  const agentLimiters = new Map<string, RequestLimiter>();
  const agentLimiter = (agent: AgentSpec): RequestLimiter | undefined => {
    const a = agent.ai;
    if (a?.maxConcurrency === undefined && a?.tokensPerMinute === undefined) return undefined;
    const key = `${agent.name}\u0000${a.maxConcurrency ?? ''}\u0000${a.tokensPerMinute ?? ''}`;
    let l = agentLimiters.get(key);
    if (!l) {
      l = createRequestLimiter({
        maxConcurrency: a.maxConcurrency ?? Number.POSITIVE_INFINITY,
        ...(a.tokensPerMinute !== undefined ? { tokensPerMinute: a.tokensPerMinute } : {}),
      });
      agentLimiters.set(key, l);
    }
    return l;
  };
  const states = new Map<string, ModelState>();
  const freshState = (model: string): ModelState => ({
    caps: unknownCapabilities(endpoint, model),
    output: 'json_schema',
    dropped: new Set(),
    sampling: 'n',
    learnt: false,
    ids: new RecentIds(),
    dirty: false,
  });
  const stateOf = (model: string): ModelState => {
    let st = states.get(model);
    if (!st) {
      st = freshState(model);
      states.set(model, st);
    }
    return st;
  };
  const learn = (st: ModelState, patch: Partial<ModelCapabilities>) => {
    for (const [k, v] of Object.entries(patch) as [keyof ModelCapabilities, never][]) {
      if (st.caps[k] !== v) {
        st.caps = { ...st.caps, [k]: v, updatedAt: new Date().toISOString() };
        st.dirty = true;
      }
    }
  };
  const store = async (db: Kysely<DB> | undefined, st: ModelState) => {
    if (!db || !st.dirty) return;
    st.dirty = false;
    try {
      await storeCapabilities(db, st.caps);
    } catch {
      st.dirty = true; // a record, not the decision: try again after the next call
    }
  };

  /** One chat completion through the limiters; SDK errors are left to the caller. */
  function complete(
    body: ChatCompletionCreateParamsNonStreaming,
    signal: AbortSignal | undefined,
    agent: AgentSpec | undefined,
  ): Promise<ChatCompletion> {
    const estimate = {
      inputTokens: Math.ceil(JSON.stringify(body).length / 4),
      outputTokens: maxOutputTokens * (body.n ?? 1),
    };
    const timeout = agent?.ai?.timeoutMs;
    const send = () =>
      limiter.run(
        estimate,
        signal,
        () => client.chat.completions.create(body, { signal: signal ?? null, ...(timeout ? { timeout } : {}) }),
        usageTokens,
      );
    const own = agent ? agentLimiter(agent) : undefined;
    return own ? own.run(estimate, signal, send, usageTokens) : send();
  }

  /** Waits while another call learns the model's parameters; the caller then leads if none did. */
  async function firstCallGate(st: ModelState, signal: AbortSignal | undefined): Promise<(learnt: boolean) => void> {
    if (st.learnt) return () => {};
    if (st.gate) {
      // A caller that gives up stops waiting, like a caller waiting for the limiter.
      if (signal?.aborted) throw new LimiterWaitAborted('aborted while the first call learnt the endpoint');
      let onAbort: (() => void) | undefined;
      try {
        await Promise.race([
          st.gate,
          new Promise<never>((_, reject) => {
            onAbort = () => reject(new LimiterWaitAborted('aborted while the first call learnt the endpoint'));
            signal?.addEventListener('abort', onAbort, { once: true });
          }),
        ]);
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
      return () => {};
    }
    let open!: () => void;
    st.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    return (learnt) => {
      if (learnt) st.learnt = true;
      st.gate = undefined;
      open();
    };
  }

  /**
   * Whether this model's samples vary at temperature: a few answers to "write a random string" at
   * temperature 1, once per model (single flight). All identical: the endpoint ignores temperature
   * or serves cached answers. (Ids alone prove nothing: Ollama's are `chatcmpl-` and a number below
   * 1000, so they repeat by chance.)
   */
  async function probeSampling(st: ModelState, model: string, signal: AbortSignal | undefined) {
    if (st.samplingChecked || st.caps.temperature === 'honoured' || st.caps.temperature === 'ignored') return;
    st.samplingProbe ??= (async () => {
      const body = (n?: number) =>
        ({
          model,
          messages: [
            { role: 'system', content: `${SAMPLING_PROBE_MARKER}: answer with a random string, nothing else.` },
            { role: 'user', content: 'Write 12 random letters and digits.' },
          ],
          ...(st.dropped.has('temperature') ? {} : { temperature: 1 }),
          ...(n ? { n } : {}),
        }) as ChatCompletionCreateParamsNonStreaming;
      const texts: string[] = [];
      const take = (c: ChatCompletion) => {
        for (const ch of c.choices ?? []) texts.push(ch.message?.content ?? '');
      };
      try {
        if (st.sampling === 'n') {
          try {
            const c = await complete(body(3), signal, undefined);
            take(c);
            if ((c.choices ?? []).length <= 1) {
              st.sampling = 'ignores-n';
              learn(st, { n: 'ignored' });
            } else learn(st, { n: 'honoured' });
          } catch (e) {
            if (refusedParameter(e, ['n']) !== 'n') throw e;
            st.sampling = 'rejects-n';
            noteRefusal(st, 'n', e);
            learn(st, { n: 'refused' });
          }
        }
        while (texts.length < 3) take(await complete(body(), signal, undefined));
      } catch (e) {
        if (e instanceof APIError && (e.status === 400 || e.status === 422)) {
          // The endpoint will not answer free text: variation is judged on each draw instead.
          st.samplingChecked = true;
          return;
        }
        throw e;
      }
      st.samplingChecked = true;
      const identical = texts.every((t) => t === texts[0]);
      if (identical) learn(st, { temperature: 'ignored' });
      else if (!st.dropped.has('temperature')) learn(st, { temperature: 'honoured' });
      else learn(st, { confidence: 'self-consistency' });
    })().finally(() => {
      st.samplingProbe = undefined;
    });
    await st.samplingProbe;
  }

  function noteRefusal(st: ModelState, parameter: OptionalParameter, e: unknown) {
    const status = e instanceof APIError ? (e.status ?? 400) : 400;
    const message = e instanceof APIError ? providerMessage(e) : String(e);
    learn(st, { refusals: [...st.caps.refusals, { parameter, status, message }] });
  }

  /**
   * The first answer to a request, as every kind of answer gets it: at temperature 0 with log
   * probabilities, in the best output mode the endpoint accepts (a refusal naming a parameter
   * drops it, for this call and every later one), after the agent's tool rounds, validated by the
   * kind's parser, and asked once more quoting the error when it does not validate.
   */
  async function firstAnswer<V>(
    db: Kysely<DB> | undefined,
    req: AnswerRequest,
    kind: AnswerKind<V>,
  ): Promise<FirstAnswer<V>> {
    const model = req.agent.model ?? defaultModel;
    const target = `${endpoint} (model ${model})`;
    const st = stateOf(model);
    const settings = req.agent.ai ?? {};
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
    const body = (
      mode: OutputMode,
      extra: Partial<ChatCompletionCreateParamsNonStreaming>,
      repair: ChatCompletionMessageParam[] = [],
    ) => {
      const request = kind.request(mode);
      return {
        model,
        ...request,
        messages: [...request.messages, ...conversation, ...repair],
        ...(tools ? { tools, tool_choice: 'auto' } : {}),
        ...extra,
      } as ChatCompletionCreateParamsNonStreaming;
    };
    const failure = (e: unknown, note = ''): AppError => {
      if (e instanceof AppError) return e;
      return unavailable(
        e,
        { endpoint, model, target },
        { timeoutMs: settings.timeoutMs ?? timeoutMs, attempts: maxRetries + 1 },
        note,
      );
    };
    const firstParams = (): Partial<ChatCompletionCreateParamsNonStreaming> => ({
      ...(st.dropped.has('temperature') ? {} : { temperature: 0 }),
      ...(st.dropped.has('logprobs') ? {} : { logprobs: true, top_logprobs: 5 }),
    });

    let release: (learnt: boolean) => void;
    try {
      release = await firstCallGate(st, req.signal);
    } catch (e) {
      throw failure(e);
    }
    let learntHere = false;
    let mode: OutputMode = modes.includes(st.output) ? st.output : (modes.at(-1) as OutputMode);
    const ask = async (repair: ChatCompletionMessageParam[] = []): Promise<ChatCompletion> => {
      for (let refusals = 0; ; refusals++) {
        const params = firstParams();
        try {
          const c = await complete(body(mode, params, repair), req.signal, req.agent);
          learn(st, {
            // The mode decisions without tools use (an agent's tools rule out tool_call for it).
            ...(tools ? {} : { outputMode: mode }),
            ...(mode === 'json_schema'
              ? { jsonSchema: 'honoured' }
              : mode === 'tool_call'
                ? { tools: 'honoured' }
                : { jsonMode: 'honoured' }),
            ...(c.model ? { modelVersion: c.model } : {}),
          });
          return c;
        } catch (e) {
          const sent: OptionalParameter[] = [
            ...(mode === 'tool_call' ? (['tools'] as const) : (['response_format'] as const)),
            ...(tools ? (['tools'] as const) : []),
            ...(params.logprobs ? (['logprobs', 'top_logprobs'] as const) : []),
            ...(params.temperature !== undefined ? (['temperature'] as const) : []),
          ];
          const parameter = refusals < 8 ? refusedParameter(e, sent) : undefined;
          const next = modes[modes.indexOf(mode) + 1];
          if (parameter === 'logprobs' || parameter === 'top_logprobs') {
            noteRefusal(st, parameter, e);
            st.dropped.add('logprobs');
            learn(st, { logprobs: 'refused' });
            continue;
          }
          if (parameter === 'temperature') {
            noteRefusal(st, parameter, e);
            st.dropped.add('temperature');
            learn(st, { temperature: 'refused' });
            continue;
          }
          const modeRefused =
            (parameter === 'response_format' && mode !== 'tool_call') ||
            (parameter === 'tools' && mode === 'tool_call');
          if (modeRefused && next) {
            noteRefusal(st, parameter, e);
            learn(st, mode === 'json_schema' ? { jsonSchema: 'refused' } : { tools: 'refused' });
            // What the refusal teaches about the model, with or without tools: the mode after the
            // refused one at least (calls with tools skip tool_call, calls without may use it).
            const after = OUTPUT_MODES[OUTPUT_MODES.indexOf(mode) + 1] as OutputMode;
            if (OUTPUT_MODES.indexOf(st.output) < OUTPUT_MODES.indexOf(after)) st.output = after;
            mode = next;
            continue;
          }
          const refusedNote =
            st.caps.refusals.length > 0
              ? ` (after the endpoint refused ${st.caps.refusals.map((r) => r.parameter).join(', ')})`
              : '';
          throw failure(e, refusedNote);
        }
      }
    };
    let completion: ChatCompletion;
    let choice: ChatCompletion['choices'][number] | undefined;
    let first: Answer<V>;
    let repairedAfter: string | undefined;
    const read = (ch: ChatCompletion['choices'][number]) => readAnswer(ch, mode, model, kind.parse, endpoint);
    try {
      for (let round = 0; ; round++) {
        completion = await ask();
        if (!learntHere) {
          learntHere = true;
          release(true);
        }
        completions.push(completion);
        st.ids.seen(completionKey(completion));
        choice = completion.choices?.[0];
        if (!choice?.message) {
          throw new AppError(
            'AI_UNAVAILABLE',
            `${endpoint} answered HTTP 200 without a chat completion choice: ${excerpt(JSON.stringify(completion) ?? '')}`,
            {
              ai: {
                kind: 'http_error',
                provider: 'openai',
                endpoint,
                model,
                status: 200,
                providerMessage: 'no choice in the completion',
              },
            },
          );
        }
        const calls = tools ? (choice.message.tool_calls ?? []) : [];
        if (calls.length === 0) break;
        if (round >= MAX_TOOL_ROUNDS) {
          throw invalid(
            `model ${model} kept calling tools: still calling ${calls.map((c) => (c.type === 'function' ? c.function.name : c.type)).join(', ')} after ${MAX_TOOL_ROUNDS} rounds`,
            { endpoint, model },
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
          // A masked prompt stays masked: what a tool found about the item goes to the model masked too.
          conversation.push({
            role: 'tool',
            tool_call_id: call.id,
            content: req.agent.maskPii ? maskPiiText(content) : content,
          });
        }
      }
      let answered = read(choice);
      if (!answered.ok && answered.text !== undefined) {
        // A bad answer at temperature 0 comes back the same if asked the same: ask once more,
        // quoting what was wrong, and no more.
        repairedAfter = answered.error.message;
        const repair: ChatCompletionMessageParam[] = [
          { role: 'assistant', content: answered.text },
          {
            role: 'user',
            content: `That answer cannot be used: ${answered.error.message}. Answer again with exactly one JSON object that matches the schema${kind.repairHint}, and nothing else.`,
          },
        ];
        completion = await ask(repair);
        completions.push(completion);
        st.ids.seen(completionKey(completion));
        choice = completion.choices?.[0];
        const again: Read<V> = choice?.message
          ? read(choice)
          : { ok: false, error: invalid(`model ${model} answered no choice`, { endpoint, model }) };
        if (!again.ok) {
          throw invalid(
            `${again.error.message} (also after one repair request quoting the first error: ${answered.error.message})`,
            { endpoint, model },
            again.error.issues,
          );
        }
        answered = again;
      }
      if (!answered.ok) throw answered.error;
      first = answered.answer;
    } catch (e) {
      if (!learntHere) release(false);
      void store(db, st);
      throw failure(e);
    }
    return {
      model,
      st,
      mode,
      started,
      completions,
      last: completion,
      choice: choice as ChatCompletion['choices'][number],
      first,
      ...(repairedAfter !== undefined ? { repairedAfter } : {}),
      toolCalls,
      withTools: tools !== undefined,
      samples: Math.max(1, Math.floor(settings.samples ?? options.samples ?? 5)),
      fallback: settings.confidenceFallback ?? options.confidenceFallback ?? 'self-consistency',
      whenUnavailable: settings.whenConfidenceUnavailable ?? options.whenConfidenceUnavailable ?? 'review',
      body,
      failure,
      read,
    };
  }

  /** The first answer's token log probabilities, or why they cannot weigh it. */
  function answerLogprobs(a: FirstAnswer<unknown>): { tokens: TokenLogprob[] } | { why: string } {
    const tokens = a.choice.logprobs?.content;
    if (a.st.dropped.has('logprobs')) return { why: 'the endpoint refuses logprobs' };
    if (!tokens || tokens.length === 0) {
      learn(a.st, { logprobs: 'ignored' });
      return { why: 'the endpoint returned no log probabilities' };
    }
    if (!tokens.some((t) => (t.top_logprobs ?? []).length >= 2)) {
      learn(a.st, { logprobs: 'ignored' });
      return {
        why: 'the log probabilities list no alternative tokens (top_logprobs), so they cannot weigh the other labels',
      };
    }
    return { tokens };
  }

  /** The log probabilities weighed the answer: remembered for the model. */
  const logprobsHonoured = (a: FirstAnswer<unknown>) => learn(a.st, { logprobs: 'honoured', confidence: 'logprobs' });

  /**
   * `a.samples` more answers at the sample temperature, for self-consistency, but only where they
   * can vary: not on an endpoint that ignores temperature (the sampling probe), nor when a sample is
   * a completion served before (a cache), nor (temperature unknown) when every sample repeats the
   * first answer. Otherwise why not, after `why` (why log probabilities did not do).
   */
  async function sampleAnswers<V>(
    db: Kysely<DB> | undefined,
    a: FirstAnswer<V>,
    signal: AbortSignal | undefined,
    agent: AgentSpec,
    why: string,
  ): Promise<{ ok: true; answers: (Answer<V> | undefined)[] } | { ok: false; reason: string }> {
    const { st } = a;
    try {
      await probeSampling(st, a.model, signal);
    } catch (e) {
      void store(db, st);
      throw a.failure(e, ' (checking whether the endpoint samples)');
    }
    if (st.caps.temperature === 'ignored') {
      learn(st, { confidence: 'unavailable' });
      return {
        ok: false,
        reason: `${why}, and self-consistency is impossible: the endpoint's samples never vary (it ignores temperature${st.sampling === 'n' ? '' : ' and n'}, or serves cached answers)`,
      };
    }
    /** Each sample request's completion, as `completionKey`. */
    const sampleKeys: string[] = [];
    let drawn: Awaited<ReturnType<typeof drawSamples<{ answer: Answer<V> | undefined; raw: string }>>>;
    try {
      drawn = await drawSamples(
        a.samples,
        st.sampling,
        async (n) => {
          const c = await complete(
            a.body(a.mode, {
              ...(st.dropped.has('temperature') ? {} : { temperature: sampleTemperature }),
              ...(n === undefined ? {} : { n }),
              // Samples answer from the same tool results; they call no tools themselves.
              ...(a.withTools ? { tool_choice: 'none' as const } : {}),
            }),
            signal,
            agent,
          );
          a.completions.push(c);
          sampleKeys.push(completionKey(c));
          return (c.choices ?? []).map((ch) => {
            const r = a.read(ch);
            // an unusable sample counts as disagreeing
            return {
              answer: r.ok ? r.answer : undefined,
              raw: ch.message ? (decisionText(a.mode, ch.message) ?? '') : '',
            };
          });
        },
        (e) => refusedParameter(e, ['n']) === 'n',
      );
    } catch (e) {
      void store(db, st);
      throw a.failure(e, ' (drawing self-consistency samples)');
    }
    if (drawn.support !== st.sampling) {
      st.sampling = drawn.support;
      learn(st, { n: drawn.support === 'n' ? 'honoured' : drawn.support === 'ignores-n' ? 'ignored' : 'refused' });
    }
    // One completion handed out twice (the first answer's, or an earlier draw's: same id, time
    // and content) is a cache: this draw measures nothing.
    const firstKey = completionKey(a.last);
    const served = sampleKeys.filter((key, k) => key === firstKey || sampleKeys.indexOf(key) < k || st.ids.seen(key));
    if (served.length > 0) {
      return {
        ok: false,
        reason: `${why}, and self-consistency is impossible: the endpoint served completion ${served[0]?.split('|')[0]} again (a cache), so its samples cannot vary`,
      };
    }
    if (st.caps.temperature === 'unknown' && drawn.answers.every((s) => s.raw === a.first.text)) {
      return {
        ok: false,
        reason: `${why}, and self-consistency is impossible: every sample was identical to the first answer`,
      };
    }
    learn(st, { confidence: 'self-consistency' });
    return { ok: true, answers: drawn.answers.map((s) => s.answer) };
  }

  /** What every result records of the calls it took: model, snapshot, prompt, tokens, cost, latency. */
  function answerRecord(
    db: Kysely<DB> | undefined,
    a: FirstAnswer<unknown>,
    agent: AgentSpec,
    text: string,
    prompt: string,
  ) {
    void store(db, a.st);
    const latencyMs = Math.round(performance.now() - a.started);
    // The endpoint names the snapshot that answered (gpt-4o-mini -> gpt-4o-mini-2024-07-18).
    const modelVersion = a.last.model || a.model;
    const usage = sumUsage(a.completions);
    const own = agent.ai?.pricing;
    const pricing = own ? { ...options.pricing, [a.model]: own, [modelVersion]: own } : options.pricing;
    return {
      provider: 'openai' as const,
      model: a.model,
      modelVersion,
      promptVersion: prompt,
      inputHash: inputHash(text),
      latencyMs,
      tokensIn: usage?.tokensIn,
      tokensOut: usage?.tokensOut,
      costUsd: costUsd(priceOf(a.model, modelVersion, pricing), usage?.tokensIn, usage?.tokensOut),
      outputMode: a.mode,
      ...(a.withTools ? { toolCalls: a.toolCalls } : {}),
    };
  }

  const machinery: AnswerMachinery = { firstAnswer, answerLogprobs, logprobsHonoured, sampleAnswers, answerRecord };

  async function decide(db: Kysely<DB> | undefined, req: DecideRequest): Promise<DecideResult> {
    const kind: AnswerKind<ModelDecision> = {
      request: (mode) => decisionRequest(mode, req.agent.instructions, req.text, req.labels),
      parse: (text) => parseDecisionOutput(text, req.labels),
      repairHint: ` (label must be one of: ${req.labels.join(', ')})`,
    };
    const a = await firstAnswer(db, req, kind);
    const { first } = a;
    let label = first.value.label;
    let rationale = first.value.rationale;
    let confidence: number;
    let score: number;
    let confidenceMethod: ConfidenceMethod;
    let confidenceNote: string | undefined;
    const logprobs = answerLogprobs(a);
    let why = 'why' in logprobs ? logprobs.why : ''; // why log probabilities were not used
    let fromLogprobs: ReturnType<typeof labelConfidenceFromLogprobs>;
    if ('tokens' in logprobs) {
      fromLogprobs = labelConfidenceFromLogprobs(first.text, logprobs.tokens, first.value.label, req.labels);
      if (!fromLogprobs) why = 'the log probabilities do not spell the answer, so the label cannot be found in them';
      else logprobsHonoured(a);
    }
    const unavailableConfidence = (reason: string) => {
      if (a.whenUnavailable === 'verbalized') {
        confidence = first.value.confidence;
        score = verbalizedScore(confidence);
        confidenceMethod = 'verbalized';
        confidenceNote = `${reason}; the model's own rating is used instead (whenConfidenceUnavailable: verbalized)`;
      } else {
        confidence = 0;
        score = Number.NEGATIVE_INFINITY;
        confidenceMethod = 'unavailable';
        confidenceNote = reason;
      }
    };
    if (fromLogprobs) {
      confidence = fromLogprobs.confidence;
      score = fromLogprobs.score;
      confidenceMethod = 'logprobs';
    } else if (a.fallback === 'verbalized') {
      confidence = first.value.confidence;
      score = verbalizedScore(confidence);
      confidenceMethod = 'verbalized';
      confidenceNote = `${why}; the model's own rating is used (confidenceFallback: verbalized)`;
    } else if (a.fallback === 'review') {
      unavailableConfidence(`${why}; no other confidence is configured (confidenceFallback: review)`);
    } else {
      const drawn = await sampleAnswers(db, a, req.signal, req.agent, why);
      if (!drawn.ok) unavailableConfidence(drawn.reason);
      else {
        const vote = majorityVote(
          first.value.label,
          drawn.answers.map((s) => s?.value.label),
        );
        label = vote.label;
        confidence = vote.confidence;
        score = vote.score;
        confidenceMethod = 'self-consistency';
        confidenceNote = `${why}; agreement of ${vote.samples} samples`;
        if (label !== first.value.label) {
          rationale = drawn.answers.find((s) => s?.value.label === label)?.value.rationale ?? rationale;
        }
      }
    }
    if (a.repairedAfter)
      confidenceNote = `${confidenceNote ? `${confidenceNote}; ` : ''}answer repaired after: ${a.repairedAfter}`;
    return {
      label,
      rationale,
      // biome-ignore lint/style/noNonNullAssertion: every branch above sets it
      confidence: confidence!,
      // biome-ignore lint/style/noNonNullAssertion: every branch above sets it
      score: score!,
      // biome-ignore lint/style/noNonNullAssertion: every branch above sets it
      confidenceMethod: confidenceMethod!,
      ...(confidenceNote ? { confidenceNote } : {}),
      ...answerRecord(db, a, req.agent, req.text, promptVersion(req.agent.instructions, req.labels)),
    };
  }
  async function probe(db: Kysely<DB> | undefined, requested?: string): Promise<ModelCapabilities> {
    const model = requested ?? defaultModel;
    const st = freshState(model);
    states.set(model, st);
    const agent = {
      name: 'capability-probe',
      instructions: 'Signoff capability probe: classify the text. Answer "yes".',
      model,
    };
    const labels = ['yes', 'no'];
    // A decision as decisions are made: output mode, log probabilities, parameters refused, and
    // (without log probabilities) the sampling check.
    await decide(undefined, { agent, labels, text: 'Capability probe: please answer yes.' });
    // The output modes the decision did not need to try.
    for (const mode of OUTPUT_MODES) {
      const field = mode === 'json_schema' ? 'jsonSchema' : mode === 'tool_call' ? 'tools' : 'jsonMode';
      if (st.caps[field] !== 'unknown') continue;
      try {
        await complete(
          {
            model,
            ...decisionRequest(mode, agent.instructions, 'Capability probe: please answer yes.', labels),
          } as ChatCompletionCreateParamsNonStreaming,
          undefined,
          undefined,
        );
        learn(st, { [field]: 'honoured' });
      } catch (e) {
        const parameter = refusedParameter(e, [mode === 'tool_call' ? 'tools' : 'response_format']);
        if (!parameter) throw failure(e, { endpoint, model, target: `${endpoint} (model ${model})` });
        noteRefusal(st, parameter, e);
        learn(st, { [field]: 'refused' });
      }
    }
    if (st.caps.logprobs !== 'honoured')
      await probeSampling(st, model, undefined).catch((e) => {
        throw failure(e, { endpoint, model, target: `${endpoint} (model ${model})` });
      });
    learn(st, { probedAt: new Date().toISOString() });
    st.dirty = true;
    await store(db, st);
    return st.caps;
  }

  const failure = (e: unknown, where: { endpoint: string; model: string; target: string }) =>
    e instanceof AppError ? e : unavailable(e, where, { timeoutMs, attempts: maxRetries + 1 });

  return {
    name: 'openai',
    limiterState: () => limiter.state(),
    capabilities: (model) => states.get(model ?? defaultModel)?.caps,
    probe,
    decide: (db, req) => decide(db, req),
    extract: (db, req) => extractWithMachinery(machinery, db, req),
  };
}

/**
 * `fetch`, with error bodies in OpenAI's shape. vLLM answers `{"object": "error", "message": ...}`,
 * FastAPI-based servers `{"detail": ...}`, some gateways a bare string: the SDK reads only
 * `{"error": {...}}` and would report "400 status code (no body)". Such bodies are rewrapped so the
 * endpoint's own words (and the parameter it names) reach the error.
 */
async function withOpenAIErrorShape(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const res = await fetch(input, init);
  if (res.ok) return res;
  const text = await res.text();
  let error: Record<string, unknown> | undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      if (b.error && typeof b.error === 'object') error = undefined;
      else if (typeof b.error === 'string') error = { message: b.error };
      else if (typeof b.message === 'string')
        error = { message: b.message, type: b.type, param: b.param, code: b.code };
      else if (b.detail !== undefined)
        error = { message: typeof b.detail === 'string' ? b.detail : JSON.stringify(b.detail) };
    }
  } catch {
    if (text.trim() !== '') error = { message: text.trim().slice(0, 2000) };
  }
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  headers.set('content-type', 'application/json');
  return new Response(error ? JSON.stringify({ error }) : text, {
    status: res.status,
    statusText: res.statusText,
    headers,
  });
}

/**
 * What identifies one completion as generated: its id, its creation time and its content. A cache
 * hands out all three again; servers whose ids repeat by chance (Ollama's) do not repeat the rest.
 */
function completionKey(c: ChatCompletion): string {
  const content = createHash('sha256')
    .update(
      JSON.stringify((c.choices ?? []).map((ch) => [ch.message?.content ?? null, ch.message?.tool_calls ?? null])),
    )
    .digest('hex')
    .slice(0, 16);
  return `${c.id}|${c.created}|${content}`;
}

/** The tokens a completion used, for the tokens-per-minute budget. */
function usageTokens(c: ChatCompletion): number | undefined {
  return c.usage ? c.usage.prompt_tokens + c.usage.completion_tokens : undefined;
}

/** Stores what was learnt about an endpoint's model (one row per endpoint and model). */
export async function storeCapabilities(db: Kysely<DB>, caps: ModelCapabilities): Promise<void> {
  await db
    .insertInto('model_capabilities')
    .values({ endpoint: caps.endpoint, model: caps.model, capabilities: JSON.stringify(caps), updated_at: new Date() })
    .onConflict((oc) =>
      oc.columns(['endpoint', 'model']).doUpdateSet({
        capabilities: (eb) => eb.ref('excluded.capabilities'),
        updated_at: (eb) => eb.ref('excluded.updated_at'),
      }),
    )
    .execute();
}

/** Everything recorded about endpoints' models, newest first. */
export async function listCapabilities(db: Kysely<DB>): Promise<ModelCapabilities[]> {
  const rows = await db
    .selectFrom('model_capabilities')
    .select(['capabilities'])
    .orderBy('updated_at', 'desc')
    .execute();
  return rows.map((r) => r.capabilities as unknown as ModelCapabilities);
}

function invalid(message: string, where: { endpoint: string; model: string }, issues?: FieldIssue[]): AppError {
  return new AppError('AI_INVALID_OUTPUT', message, {
    ...(issues ? { issues } : {}),
    ai: {
      kind: 'invalid_output',
      provider: 'openai',
      endpoint: where.endpoint,
      model: where.model,
      providerMessage: message,
    },
  });
}

/** Validates one choice's answer: the answer, or the error (with the text when a repair may help). */
function readAnswer<V>(
  choice: ChatCompletion['choices'][number],
  mode: OutputMode,
  model: string,
  parse: (text: string) => V,
  endpoint: string,
): Read<V> {
  const { message } = choice;
  const where = { endpoint, model };
  if (message.refusal) {
    return { ok: false, error: invalid(`model ${model} refused to answer: ${excerpt(message.refusal)}`, where) };
  }
  if (choice.finish_reason === 'length' || choice.finish_reason === 'content_filter') {
    return {
      ok: false,
      error: invalid(
        `model ${model} stopped early (finish_reason "${choice.finish_reason}"): ${excerpt(message.content ?? '')}`,
        where,
      ),
    };
  }
  const text = decisionText(mode, message);
  if (text === undefined) {
    return {
      ok: false,
      error: invalid(
        mode === 'tool_call'
          ? `model ${model} did not call the decision function (finish_reason "${choice.finish_reason}")`
          : `model ${model} answered no content (finish_reason "${choice.finish_reason}")`,
        where,
      ),
    };
  }
  try {
    return { ok: true, answer: { value: parse(text), text } };
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    return { ok: false, error: invalid(e.message, where, e.issues), text };
  }
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

/** Turns what the SDK throws after its retries into an `AI_UNAVAILABLE` that says what happened. */
function unavailable(
  e: unknown,
  where: { endpoint: string; model: string; target: string },
  limits: { timeoutMs: number; attempts: number },
  note = '',
): AppError {
  const { target } = where;
  const tries = `${limits.attempts} attempt${limits.attempts === 1 ? '' : 's'}`;
  const base = { provider: 'openai', endpoint: where.endpoint, model: where.model };
  let message: string;
  let ai: AiFailure;
  if (e instanceof APIUserAbortError) {
    message = `request to ${target} aborted by the caller`;
    ai = { ...base, kind: 'aborted' };
  } else if (e instanceof LimiterWaitAborted) {
    message = `request to ${target} aborted by the caller while it waited for the provider's request limits`;
    ai = { ...base, kind: 'aborted' };
  } else if (e instanceof APIConnectionTimeoutError) {
    message = `request to ${target} timed out after ${limits.timeoutMs} ms per attempt (${tries})`;
    ai = {
      ...base,
      kind: 'timeout',
      providerMessage: `no answer within ${limits.timeoutMs} ms per attempt (${tries})`,
    };
  } else if (e instanceof APIConnectionError) {
    const cause = e.cause instanceof Error ? `${e.cause.message}${causeCode(e.cause)}` : e.message;
    message = `could not connect to ${target}: ${cause} (${tries})`;
    ai = { ...base, kind: 'unreachable', providerMessage: cause };
  } else if (e instanceof APIError) {
    const retried = e.status === 408 || e.status === 409 || e.status === 429 || (e.status ?? 0) >= 500;
    const said = providerMessage(e);
    const param = typeof e.param === 'string' && e.param !== '' ? e.param : undefined;
    message = `${target} answered HTTP ${e.status}${retried ? ` after ${tries}` : ' (not retried)'}: ${JSON.stringify(said)}${param ? ` (parameter ${param})` : ''}`;
    ai = {
      ...base,
      kind: 'http_error',
      ...(e.status !== undefined ? { status: e.status } : {}),
      providerMessage: said,
      ...(param ? { parameter: param } : {}),
    };
  } else {
    const said = e instanceof Error ? e.message : String(e);
    message = `calling ${target} failed: ${said}`;
    ai = { ...base, kind: 'unreachable', providerMessage: said };
  }
  return new AppError('AI_UNAVAILABLE', `${message}${note}`, { cause: e, ai });
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
