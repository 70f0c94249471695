import { APIError } from 'openai';
import type { OutputMode } from './decision-output';

/** Request parameters an endpoint may refuse by name, which the provider can do without. */
export type OptionalParameter = 'response_format' | 'tools' | 'logprobs' | 'top_logprobs' | 'temperature' | 'n';

/** What one parameter does on an endpoint, as far as the provider has seen. */
export type ParameterSupport = 'honoured' | 'ignored' | 'refused' | 'unknown';

/**
 * What an endpoint's model was found to support, per request feature, and what the provider does
 * with it. Learnt by the first call (and by `probe`), kept per provider instance, stored in
 * `model_capabilities` and shown by `signoff models probe` and the API's `models.capabilities`.
 *
 * - `jsonSchema`, `tools`, `jsonMode`: the output modes (`honoured` once an answer came in that
 *   mode; `refused` after a 400 naming it).
 * - `logprobs`: `honoured` when token log probabilities with alternatives came back, `ignored`
 *   when the answer had none (or none with alternatives), `refused` after a 400 naming it.
 * - `n`: `honoured` when `n` choices came back, `ignored` when one did, `refused` after a 400.
 * - `temperature`: `honoured` when answers sampled at temperature 1 differ, `ignored` when they are
 *   all identical (a deterministic server, or a caching gateway: identical ids), `refused` after a 400.
 */
export interface ModelCapabilities {
  endpoint: string;
  model: string;
  /** The model snapshot the endpoint named in its answers, when it answered. */
  modelVersion: string | null;
  /** The output mode decisions use: the best the endpoint accepts. */
  outputMode: OutputMode;
  jsonSchema: ParameterSupport;
  tools: ParameterSupport;
  jsonMode: ParameterSupport;
  logprobs: ParameterSupport;
  n: ParameterSupport;
  temperature: ParameterSupport;
  /** Each refusal the endpoint answered, as it said it. */
  refusals: { parameter: OptionalParameter; status: number; message: string }[];
  /**
   * Where a decision's confidence comes from on this endpoint: `logprobs`; `self-consistency` when
   * there are none but samples vary; `unavailable` when neither (see the provider's fallbacks).
   */
  confidence: 'logprobs' | 'self-consistency' | 'unavailable' | 'unknown';
  /** When an explicit probe last ran (ISO 8601), null when only learnt from decisions. */
  probedAt: string | null;
  updatedAt: string;
}

/** The capabilities of a model nothing has been learnt about yet. */
export function unknownCapabilities(endpoint: string, model: string): ModelCapabilities {
  return {
    endpoint,
    model,
    modelVersion: null,
    outputMode: 'json_schema',
    jsonSchema: 'unknown',
    tools: 'unknown',
    jsonMode: 'unknown',
    logprobs: 'unknown',
    n: 'unknown',
    temperature: 'unknown',
    refusals: [],
    confidence: 'unknown',
    probedAt: null,
    updatedAt: new Date().toISOString(),
  };
}

/** The endpoint's own message of an SDK error, without the SDK's "400 " prefix. */
export function providerMessage(e: APIError): string {
  const body = e.error as { message?: unknown } | undefined;
  const own = typeof body?.message === 'string' ? body.message : e.message.replace(/^\d{3}\s+/, '');
  return own.length > 500 ? `${own.slice(0, 500)}…` : own;
}

const PARAMETER_PATTERNS: readonly [OptionalParameter, RegExp][] = [
  ['top_logprobs', /\btop_logprobs\b/i],
  ['logprobs', /\blogprobs?\b|log ?probabilit/i],
  ['response_format', /response_format|json_schema|\bjson schema\b|structured output|grammar/i],
  ['tools', /\btools?\b|tool_choice|\bfunctions?\b|function call/i],
  ['temperature', /\btemperature\b/i],
  ['n', /['"`]n['"`]|\bn\b must|\bparameter n\b|\bchoices?\b|\bn > 1\b|\bn>1\b|\bn=\d/i],
];

/**
 * The optional parameter a refusal names: HTTP 400 or 422 whose `param` (OpenAI's error field) or
 * message names one of `OptionalParameter` among those the request sent. `undefined` for any
 * other error, which is then not a refusal the provider can work around.
 *
 * @example
 * refusedParameter(err, ['logprobs', 'top_logprobs', 'temperature']); // 'logprobs' for "logprobs is not supported"
 */
export function refusedParameter(e: unknown, sent: readonly OptionalParameter[]): OptionalParameter | undefined {
  if (!(e instanceof APIError) || (e.status !== 400 && e.status !== 422)) return undefined;
  const param = typeof e.param === 'string' ? e.param.replace(/^body\./, '') : '';
  for (const p of sent) if (param === p || param.startsWith(`${p}.`) || param.startsWith(`${p}[`)) return p;
  const said = providerMessage(e);
  for (const [p, pattern] of PARAMETER_PATTERNS) if (sent.includes(p) && pattern.test(said)) return p;
  return undefined;
}

/**
 * Remembers the ids of recent completions, to recognise an answer served twice: a caching gateway
 * hands out the same completion (same id) for the same prompt, whatever the temperature.
 */
export class RecentIds {
  readonly #ids = new Set<string>();
  readonly #max: number;
  constructor(max = 10_000) {
    this.#max = max;
  }
  /** Whether `id` was seen before; records it. Empty ids say nothing. */
  seen(id: string | undefined | null): boolean {
    if (!id) return false;
    if (this.#ids.has(id)) return true;
    this.#ids.add(id);
    if (this.#ids.size > this.#max) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return false;
  }
}
