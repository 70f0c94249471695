import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { decisionJsonSchema, excerpt, parseDecisionOutput } from './decision-output';
import { labelConfidenceFromLogprobs } from './label-confidence';
import { inputHash, promptVersion } from './prompt-version';
import type { DecideRequest, DecideResult, DecisionProvider } from './provider';

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

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
}

/**
 * A provider for any OpenAI-compatible chat completions endpoint, through the `openai` SDK:
 * structured output (strict JSON schema whose `label` is an enum of the allowed labels), the
 * agent's instructions as the system message, temperature 0, and token log probabilities from
 * which the label's confidence is computed (`labelConfidenceFromLogprobs`, method `logprobs`).
 * Endpoints that return no log probabilities get the model's own `confidence` (method
 * `verbalized`). Retries and timeouts are the SDK's; what still fails is `AI_UNAVAILABLE`.
 *
 * @example
 * const openai = createOpenAIProvider({ apiKey: env.OPENAI_API_KEY, model: 'gpt-4o-mini' });
 * const r = await openai.decide(db, {
 *   agent: { name: 'refunds', instructions: 'Is this a refund request?' },
 *   labels: ['refund', 'other'],
 *   text: 'I want my money back',
 * });
 * r.confidenceMethod; // 'logprobs'
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): DecisionProvider {
  const baseURL = options.baseURL ?? DEFAULT_OPENAI_BASE_URL;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 2;
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

  return {
    name: 'openai',
    async decide(_db: Kysely<DB>, req: DecideRequest): Promise<DecideResult> {
      const model = req.agent.model ?? options.model ?? DEFAULT_OPENAI_MODEL;
      const started = performance.now();
      let completion: ChatCompletion;
      try {
        completion = await client.chat.completions.create(
          {
            model,
            messages: [
              { role: 'system', content: req.agent.instructions },
              { role: 'user', content: req.text },
            ],
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'decision', strict: true, schema: decisionJsonSchema(req.labels) },
            },
            temperature: 0,
            logprobs: true,
            top_logprobs: 5,
          },
          { signal: req.signal ?? null },
        );
      } catch (e) {
        throw unavailable(e, `${endpoint} (model ${model})`, { timeoutMs, attempts: maxRetries + 1 });
      }
      const latencyMs = Math.round(performance.now() - started);

      const choice = completion?.choices?.[0];
      if (!choice?.message) {
        throw new AppError(
          'AI_UNAVAILABLE',
          `${endpoint} answered HTTP 200 without a chat completion choice: ${excerpt(JSON.stringify(completion) ?? '')}`,
        );
      }
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
      if (typeof message.content !== 'string' || message.content.trim() === '') {
        throw new AppError(
          'AI_INVALID_OUTPUT',
          `model ${model} answered no content (finish_reason "${choice.finish_reason}")`,
        );
      }
      const output = parseDecisionOutput(message.content, req.labels);

      const tokens = choice.logprobs?.content;
      const fromLogprobs =
        tokens && tokens.length > 0
          ? labelConfidenceFromLogprobs(message.content, tokens, output.label, req.labels)
          : undefined;
      return {
        label: output.label,
        rationale: output.rationale,
        confidence: fromLogprobs ? fromLogprobs.confidence : output.confidence,
        confidenceMethod: fromLogprobs ? 'logprobs' : 'verbalized',
        provider: 'openai',
        model,
        // The endpoint names the snapshot that answered (gpt-4o-mini -> gpt-4o-mini-2024-07-18).
        modelVersion: completion.model || model,
        promptVersion: promptVersion(req.agent.instructions, req.labels),
        inputHash: inputHash(req.text),
        latencyMs,
        tokensIn: completion.usage?.prompt_tokens,
        tokensOut: completion.usage?.completion_tokens,
      };
    },
  };
}

/** Turns what the SDK throws after its retries into an `AI_UNAVAILABLE` that says what happened. */
function unavailable(e: unknown, target: string, limits: { timeoutMs: number; attempts: number }): AppError {
  const tries = `${limits.attempts} attempt${limits.attempts === 1 ? '' : 's'}`;
  let message: string;
  if (e instanceof APIUserAbortError) {
    message = `request to ${target} aborted by the caller`;
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
  return new AppError('AI_UNAVAILABLE', message, { cause: e });
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
