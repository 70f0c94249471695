import { createLocalProvider, type LocalProviderOptions } from './local-provider';
import { createOpenAIProvider, type OpenAIProviderOptions } from './openai-provider';
import type { DecisionProvider } from './provider';

/** The variables an app's `env.ts` validates and passes on; nothing here reads `process.env`. */
export interface ProviderEnv {
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
  OPENAI_MODEL?: string | undefined;
}

/**
 * The OpenAI-compatible provider when an API key is set (a blank one counts as unset), else the
 * built-in local model, so a fresh install and the tests run offline.
 *
 * @example
 * const provider = selectProvider(env); // env from the app's env.ts
 * provider.name; // 'openai' or 'local'
 */
export function selectProvider(
  env: ProviderEnv,
  options: { openai?: Omit<OpenAIProviderOptions, 'apiKey' | 'baseURL' | 'model'>; local?: LocalProviderOptions } = {},
): DecisionProvider {
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) return createLocalProvider(options.local);
  return createOpenAIProvider({
    ...options.openai,
    apiKey,
    ...(env.OPENAI_BASE_URL?.trim() ? { baseURL: env.OPENAI_BASE_URL.trim() } : {}),
    ...(env.OPENAI_MODEL?.trim() ? { model: env.OPENAI_MODEL.trim() } : {}),
  });
}
