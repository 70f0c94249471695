import { AppError } from '@signoff/core';
import type { DecisionProvider, ProviderName } from './provider';

/**
 * One provider per name, chosen per agent (`AgentSpec.provider`), else the default: different
 * agents of one workflow can use the built-in model and an OpenAI-compatible endpoint side by side.
 * An agent that asks for a provider this process has not configured gets `AI_UNAVAILABLE`, which
 * sends its decision to review with that reason instead of guessing.
 *
 * @example
 * const provider = routeProviders({ local: createLocalProvider(), openai }, 'openai');
 */
export function routeProviders(
  providers: Partial<Record<ProviderName, DecisionProvider>>,
  fallback: ProviderName,
): DecisionProvider {
  const byDefault = providers[fallback];
  if (!byDefault) throw new AppError('INTERNAL', `The default provider "${fallback}" is not configured`);
  return {
    name: byDefault.name,
    async decide(db, req) {
      const wanted = req.agent.provider ?? fallback;
      const provider = providers[wanted];
      if (!provider)
        throw new AppError(
          'AI_UNAVAILABLE',
          `Agent "${req.agent.name}" asks for the ${wanted === 'openai' ? 'OpenAI-compatible provider, but OPENAI_API_KEY is not set' : `"${wanted}" provider, which is not configured`}`,
        );
      return provider.decide(db, req);
    },
    async extract(db, req) {
      const wanted = req.agent.provider ?? fallback;
      const provider = providers[wanted];
      if (!provider?.extract)
        throw new AppError(
          'AI_UNAVAILABLE',
          provider
            ? `The ${wanted} provider cannot give structured answers (agent "${req.agent.name}")`
            : `Agent "${req.agent.name}" asks for the ${wanted === 'openai' ? 'OpenAI-compatible provider, but OPENAI_API_KEY is not set' : `"${wanted}" provider, which is not configured`}`,
        );
      return provider.extract(db, req);
    },
  };
}
