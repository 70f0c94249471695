import { type AiFailure, AppError, isAppError } from '@signoff/core';
import type { DecideRequest, DecideResult, DecisionProvider, ExtractRequest } from './provider';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures to reach the endpoint that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before one probe is let through. Default 30 s. */
  openMs?: number;
  /**
   * How long a call refused while the probe is out should wait before trying again: about as long
   * as a probe takes to answer. Default 1 s.
   */
  probeWaitMs?: number;
  /** Clock in milliseconds (tests pass their own). */
  now?: () => number;
  /** Told of every change of state, e.g. to log or count it. */
  onStateChange?: (state: BreakerState, reason: string) => void;
}

export interface BrokenProvider extends DecisionProvider {
  breakerState(): BreakerState;
}

/** Failures that say the endpoint is unwell (not that one answer was bad). */
function isOutage(e: unknown): boolean {
  return isAppError(e, 'AI_UNAVAILABLE') || isAppError(e, 'TIMEOUT');
}

type Failure = Omit<AiFailure, 'lastFailure'>;

/**
 * The details of the failure that opens the circuit: the provider's own (`AppError.ai`) or, from a
 * provider that gives none, what its message says.
 */
function failureOf(e: unknown, provider: string): Failure {
  if (isAppError(e) && e.ai) {
    const { lastFailure: _, ...failure } = e.ai;
    return failure;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (isAppError(e, 'TIMEOUT')) return { kind: 'timeout', provider, providerMessage: message };
  const status = /\bHTTP (\d{3})\b/.exec(message)?.[1];
  return status
    ? { kind: 'http_error', provider, status: Number(status), providerMessage: message }
    : { kind: 'unreachable', provider, providerMessage: message };
}

/**
 * Stops calling an endpoint that keeps failing, and lets it recover. After `failureThreshold`
 * consecutive outages (unreachable, 5xx, 429 after the SDK's own retries, timeouts) the circuit
 * opens: calls fail at once with `AI_UNAVAILABLE` and no request is sent. After `openMs` one probe
 * goes through (half-open): success closes the circuit, failure opens it again. Answers that
 * arrive but are unusable (`AI_INVALID_OUTPUT`) do not count: the endpoint is up.
 *
 * A refusal carries `ai: { kind: 'circuit_open', retryAt, lastFailure }`: when the next call can
 * go through (the probe time, or shortly after the probe that is out) and the failure that opened
 * the circuit. The engine uses them: a decide state's try refused by the breaker sent nothing, so
 * it is not spent, and the item tries again at `retryAt` (see `breakerWaitMs` in the engine); a
 * review reason names `lastFailure`, the real cause.
 *
 * @example
 * const provider = withCircuitBreaker(createOpenAIProvider({ apiKey }), { failureThreshold: 5, openMs: 30_000 });
 */
export function withCircuitBreaker(provider: DecisionProvider, options: CircuitBreakerOptions = {}): BrokenProvider {
  const threshold = options.failureThreshold ?? 5;
  const openMs = options.openMs ?? 30_000;
  const probeWaitMs = options.probeWaitMs ?? 1000;
  const now = options.now ?? Date.now;
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probing = false;
  let lastFailure: Failure | undefined;
  const refusal = (message: string, retryAt: number, req: { agent: DecideRequest['agent'] }) => {
    const last = lastFailure ?? { kind: 'unreachable' as const, provider: provider.name };
    const model = req.agent.model ?? last.model;
    return new AppError('AI_UNAVAILABLE', message, {
      ai: {
        kind: 'circuit_open',
        provider: provider.name,
        ...(last.endpoint ? { endpoint: last.endpoint } : {}),
        ...(model ? { model } : {}),
        retryAt,
        lastFailure: last,
      },
    });
  };
  const move = (to: BreakerState, reason: string) => {
    if (state !== to) {
      state = to;
      options.onStateChange?.(to, reason);
    }
  };

  return {
    name: provider.name,
    breakerState: () => state,
    decide: (db, req: DecideRequest): Promise<DecideResult> => guarded(req, () => provider.decide(db, req)),
    ...(provider.extract
      ? {
          extract: (db: Parameters<NonNullable<DecisionProvider['extract']>>[0], req: ExtractRequest) =>
            guarded(req, () => (provider.extract as NonNullable<DecisionProvider['extract']>)(db, req)),
        }
      : {}),
  };

  // One breaker for both kinds of call: they go to the same endpoint.
  async function guarded<T>(
    req: { signal?: AbortSignal | undefined; agent: DecideRequest['agent'] },
    call: () => Promise<T>,
  ): Promise<T> {
    if (state === 'open') {
      const t = now();
      const wait = openedAt + openMs - t;
      if (wait > 0 || probing)
        throw refusal(
          `${provider.name} endpoint circuit is open after ${failures} consecutive failures; next probe in ${Math.max(0, Math.ceil(wait / 1000))} s`,
          Math.max(openedAt + openMs, probing ? t + probeWaitMs : 0),
          req,
        );
      move('half-open', 'probing the endpoint');
    } else if (state === 'half-open' && probing) {
      throw refusal(
        `${provider.name} endpoint is being probed after an outage; try again shortly`,
        now() + probeWaitMs,
        req,
      );
    }
    const probe = state === 'half-open';
    if (probe) probing = true;
    try {
      const result = await call();
      failures = 0;
      move('closed', probe ? 'probe succeeded' : 'call succeeded');
      return result;
    } catch (e) {
      // A caller that gave up (its own signal) says nothing about the endpoint.
      if (isOutage(e) && !req.signal?.aborted) {
        failures += 1;
        if (probe || failures >= threshold) {
          openedAt = now();
          lastFailure = failureOf(e, provider.name);
          move('open', `${failures} consecutive failures: ${(e as Error).message}`);
        }
      }
      throw e;
    } finally {
      if (probe) probing = false;
    }
  }
}
