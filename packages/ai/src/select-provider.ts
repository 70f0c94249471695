import { z } from 'zod';
import { createLocalProvider, type LocalProviderOptions } from './local-provider';
import { createOpenAIProvider, type OpenAIDecisionProvider, type OpenAIProviderOptions } from './openai-provider';
import type { DecisionProvider } from './provider';

const positiveInt = (name: string, max: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be at least 1`)
    .max(max, `${name} must be at most ${max}`);

const priceTable = z.record(
  z.string().min(1),
  z.strictObject({
    inputPerMillion: z.number().min(0, 'inputPerMillion must be >= 0 (US dollars per million input tokens)'),
    outputPerMillion: z.number().min(0, 'outputPerMillion must be >= 0 (US dollars per million output tokens)'),
  }),
);

/**
 * The provider's settings from the environment (every one optional; each agent's `ai` settings
 * override them). Documented in packages/ai/README.md, "Configuration".
 */
export const aiEnvShape = {
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.string().url('OPENAI_BASE_URL must be a URL such as http://localhost:8000/v1').optional(),
  OPENAI_MODEL: z.string().optional(),
  /** Per request attempt, in milliseconds. */
  SIGNOFF_AI_TIMEOUT_MS: positiveInt('SIGNOFF_AI_TIMEOUT_MS', 600_000).optional(),
  /** Retries of connection errors, timeouts, 408, 409, 429 and 5xx. */
  SIGNOFF_AI_MAX_RETRIES: z.coerce
    .number({ error: 'SIGNOFF_AI_MAX_RETRIES must be a whole number' })
    .int('SIGNOFF_AI_MAX_RETRIES must be a whole number')
    .min(0, 'SIGNOFF_AI_MAX_RETRIES must be at least 0')
    .max(10, 'SIGNOFF_AI_MAX_RETRIES must be at most 10')
    .optional(),
  SIGNOFF_AI_MAX_CONCURRENCY: positiveInt('SIGNOFF_AI_MAX_CONCURRENCY', 1024).optional(),
  SIGNOFF_AI_TOKENS_PER_MINUTE: positiveInt('SIGNOFF_AI_TOKENS_PER_MINUTE', 1_000_000_000).optional(),
  SIGNOFF_AI_SAMPLES: positiveInt('SIGNOFF_AI_SAMPLES', 20).optional(),
  SIGNOFF_AI_SAMPLE_TEMPERATURE: z.coerce
    .number({ error: 'SIGNOFF_AI_SAMPLE_TEMPERATURE must be a number' })
    .gt(0, 'SIGNOFF_AI_SAMPLE_TEMPERATURE must be above 0 (samples at 0 cannot disagree)')
    .max(2, 'SIGNOFF_AI_SAMPLE_TEMPERATURE must be at most 2')
    .optional(),
  SIGNOFF_AI_CONFIDENCE_FALLBACK: z
    .enum(['self-consistency', 'verbalized', 'review'], {
      error: 'SIGNOFF_AI_CONFIDENCE_FALLBACK must be self-consistency, verbalized or review',
    })
    .optional(),
  SIGNOFF_AI_WHEN_CONFIDENCE_UNAVAILABLE: z
    .enum(['review', 'verbalized'], { error: 'SIGNOFF_AI_WHEN_CONFIDENCE_UNAVAILABLE must be review or verbalized' })
    .optional(),
  /** JSON: `{"my-model": {"inputPerMillion": 0.2, "outputPerMillion": 0.8}}`. */
  SIGNOFF_AI_PRICING: z
    .string()
    .transform((text, ctx) => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'SIGNOFF_AI_PRICING must be JSON: {"model": {"inputPerMillion": 0.15, "outputPerMillion": 0.6}}',
        });
        return z.NEVER;
      }
      const parsed = priceTable.safeParse(json);
      if (!parsed.success) {
        for (const i of parsed.error.issues)
          ctx.addIssue({ code: 'custom', message: `SIGNOFF_AI_PRICING.${i.path.join('.')}: ${i.message}` });
        return z.NEVER;
      }
      return parsed.data;
    })
    .optional(),
};

export const aiEnv = z.object(aiEnvShape);

/** The variables an app's `env.ts` validates (with `aiEnvShape`) and passes on; nothing here reads `process.env`. */
export type ProviderEnv = Partial<z.infer<typeof aiEnv>>;

/** The provider options the environment sets (`SIGNOFF_AI_*`), for `createOpenAIProvider`. */
export function providerOptionsFromEnv(env: ProviderEnv): Omit<OpenAIProviderOptions, 'apiKey'> {
  return {
    ...(env.OPENAI_BASE_URL?.trim() ? { baseURL: env.OPENAI_BASE_URL.trim() } : {}),
    ...(env.OPENAI_MODEL?.trim() ? { model: env.OPENAI_MODEL.trim() } : {}),
    ...(env.SIGNOFF_AI_TIMEOUT_MS !== undefined ? { timeoutMs: env.SIGNOFF_AI_TIMEOUT_MS } : {}),
    ...(env.SIGNOFF_AI_MAX_RETRIES !== undefined ? { maxRetries: env.SIGNOFF_AI_MAX_RETRIES } : {}),
    ...(env.SIGNOFF_AI_MAX_CONCURRENCY !== undefined ? { maxConcurrency: env.SIGNOFF_AI_MAX_CONCURRENCY } : {}),
    ...(env.SIGNOFF_AI_TOKENS_PER_MINUTE !== undefined ? { tokensPerMinute: env.SIGNOFF_AI_TOKENS_PER_MINUTE } : {}),
    ...(env.SIGNOFF_AI_SAMPLES !== undefined ? { samples: env.SIGNOFF_AI_SAMPLES } : {}),
    ...(env.SIGNOFF_AI_SAMPLE_TEMPERATURE !== undefined
      ? { sampleTemperature: env.SIGNOFF_AI_SAMPLE_TEMPERATURE }
      : {}),
    ...(env.SIGNOFF_AI_CONFIDENCE_FALLBACK ? { confidenceFallback: env.SIGNOFF_AI_CONFIDENCE_FALLBACK } : {}),
    ...(env.SIGNOFF_AI_WHEN_CONFIDENCE_UNAVAILABLE
      ? { whenConfidenceUnavailable: env.SIGNOFF_AI_WHEN_CONFIDENCE_UNAVAILABLE }
      : {}),
    ...(env.SIGNOFF_AI_PRICING ? { pricing: env.SIGNOFF_AI_PRICING } : {}),
  };
}

/**
 * The OpenAI-compatible provider when an API key is set (a blank one counts as unset), else the
 * built-in local model, so a fresh install and the tests run offline. The environment's
 * `SIGNOFF_AI_*` settings apply, then `options.openai` over them.
 *
 * @example
 * const provider = selectProvider(env); // env from the app's env.ts
 * provider.name; // 'openai' or 'local'
 */
export function selectProvider(
  env: ProviderEnv,
  options: { openai?: Omit<OpenAIProviderOptions, 'apiKey' | 'baseURL' | 'model'>; local?: LocalProviderOptions } = {},
): DecisionProvider | OpenAIDecisionProvider {
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) return createLocalProvider(options.local);
  return createOpenAIProvider({ ...providerOptionsFromEnv(env), ...options.openai, apiKey });
}
