import { AppError, isAppError } from '@signoff/core';
import type { DecideRequest, DecideResult, DecisionProvider } from './provider';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures to reach the endpoint that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before one probe is let through. Default 30 s. */
  openMs?: number;
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

/**
 * Stops calling an endpoint that keeps failing, and lets it recover. After `failureThreshold`
 * consecutive outages (unreachable, 5xx, 429 after the SDK's own retries, timeouts) the circuit
 * opens: calls fail at once with `AI_UNAVAILABLE` and no request is sent. After `openMs` one probe
 * goes through (half-open): success closes the circuit, failure opens it again. Answers that
 * arrive but are unusable (`AI_INVALID_OUTPUT`) do not count: the endpoint is up.
 *
 * A decide state's retry policy decides what a refused call means for the item: another try after
 * its back-off (which the open circuit makes cheap), then review with the reason `ai_unavailable`.
 *
 * @example
 * const provider = withCircuitBreaker(createOpenAIProvider({ apiKey }), { failureThreshold: 5, openMs: 30_000 });
 */
export function withCircuitBreaker(provider: DecisionProvider, options: CircuitBreakerOptions = {}): BrokenProvider {
  const threshold = options.failureThreshold ?? 5;
  const openMs = options.openMs ?? 30_000;
  const now = options.now ?? Date.now;
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probing = false;
  const move = (to: BreakerState, reason: string) => {
    if (state !== to) {
      state = to;
      options.onStateChange?.(to, reason);
    }
  };

  return {
    name: provider.name,
    breakerState: () => state,
    async decide(db, req: DecideRequest): Promise<DecideResult> {
      if (state === 'open') {
        const wait = openedAt + openMs - now();
        if (wait > 0 || probing)
          throw new AppError(
            'AI_UNAVAILABLE',
            `${provider.name} endpoint circuit is open after ${failures} consecutive failures; next probe in ${Math.max(0, Math.ceil(wait / 1000))} s`,
          );
        move('half-open', 'probing the endpoint');
      } else if (state === 'half-open' && probing) {
        throw new AppError(
          'AI_UNAVAILABLE',
          `${provider.name} endpoint is being probed after an outage; try again shortly`,
        );
      }
      const probe = state === 'half-open';
      if (probe) probing = true;
      try {
        const result = await provider.decide(db, req);
        failures = 0;
        move('closed', probe ? 'probe succeeded' : 'call succeeded');
        return result;
      } catch (e) {
        // A caller that gave up (its own signal) says nothing about the endpoint.
        if (isOutage(e) && !req.signal?.aborted) {
          failures += 1;
          if (probe || failures >= threshold) {
            openedAt = now();
            move('open', `${failures} consecutive failures: ${(e as Error).message}`);
          }
        }
        throw e;
      } finally {
        if (probe) probing = false;
      }
    },
  };
}
