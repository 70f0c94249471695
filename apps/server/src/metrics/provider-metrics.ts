import type { DecisionProvider } from '@signoff/ai';
import { isAppError } from '@signoff/core';
import type { ProcessMetrics } from './process-metrics';

/**
 * A provider that counts its calls: latency, errors by `AiFailure.kind`, tokens and cost, by
 * provider and model. Wrap outside the circuit breaker, so that its refusals count as errors of
 * kind `circuit_open` (they sent no request, so they are left out of the latency histogram).
 *
 * @example
 * const openai = withProviderMetrics(withCircuitBreaker(createOpenAIProvider({ apiKey })), metrics);
 */
export function withProviderMetrics(
  provider: DecisionProvider,
  m: ProcessMetrics,
  clock: () => number = () => performance.now(),
): DecisionProvider {
  const counted = async <R extends { model: string; tokensIn?: number; tokensOut?: number; costUsd?: number }>(
    req: { agent: { model?: string } },
    call: () => Promise<R>,
  ): Promise<R> => {
    const started = clock();
    try {
      const r = await call();
      const labels = { provider: provider.name, model: r.model };
      m.aiCalls.inc({ ...labels, outcome: 'ok' });
      m.aiLatency.observe({ ...labels, outcome: 'ok' }, (clock() - started) / 1000);
      if (r.tokensIn) m.aiTokens.inc({ ...labels, direction: 'in' }, r.tokensIn);
      if (r.tokensOut) m.aiTokens.inc({ ...labels, direction: 'out' }, r.tokensOut);
      m.aiCost.inc(labels, r.costUsd && r.costUsd > 0 ? r.costUsd : 0);
      return r;
    } catch (e) {
      const ai = isAppError(e) ? e.ai : undefined;
      const kind =
        ai?.kind ??
        (isAppError(e, 'TIMEOUT') ? 'timeout' : isAppError(e, 'AI_INVALID_OUTPUT') ? 'invalid_output' : 'unknown');
      const labels = { provider: provider.name, model: ai?.model ?? req.agent.model ?? 'default' };
      m.aiCalls.inc({ ...labels, outcome: 'error' });
      m.aiErrors.inc({ ...labels, kind });
      if (kind !== 'circuit_open') m.aiLatency.observe({ ...labels, outcome: 'error' }, (clock() - started) / 1000);
      throw e;
    }
  };
  const extract = provider.extract?.bind(provider);
  return {
    name: provider.name,
    decide: (db, req) => counted(req, () => provider.decide(db, req)),
    ...(extract ? { extract: (db, req) => counted(req, () => extract(db, req)) } : {}),
  };
}
