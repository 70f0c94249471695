// A decide state's try refused by an open circuit breaker: no request reached the endpoint, so the
// try is not spent, and the item waits for the breaker's probe instead of its back-off.
import { type AiFailure, DEFAULT_RETRY, type RetryPolicy } from '@signoff/core';
import type { ParsedStepJob, StepJob } from './queue';

/**
 * The most a deferred try starts after the breaker's `retryAt`: spreads the items that waited for
 * one probe over a moment (the first is the probe; the others find the circuit closed, or wait for
 * the probe a little longer), and never starts one before it.
 */
export const BREAKER_JITTER_MS = 250;

/**
 * Tries of a state run spent so far. A job's `attempt` counts every job of the run (the stale
 * guard: a job of an older attempt runs nothing); `deferrals` of them were refused by an open
 * circuit and sent no request, so they do not count against `retry.maxAttempts`.
 */
export function triesOf(job: Pick<StepJob, 'attempt' | 'deferrals'>): number {
  return (job.attempt ?? 1) - (job.deferrals ?? 0);
}

/**
 * How long a try refused by an open circuit waits for the breaker (milliseconds until its
 * `retryAt`), or `undefined` when it cannot wait and is spent like any failed try.
 *
 * The budget: one try may be put off by the breaker for at most `retry.maxDelayMs` in all (60 s by
 * default), the longest pause the state's retry policy allows between two tries. So an item that
 * arrives during a short outage waits for the probe (and its try may be the probe) instead of
 * spending its tries on refusals within its few seconds of back-off; a long outage (or a breaker
 * open longer than `maxDelayMs`) still spends its tries, and the item goes to review with the
 * failure that opened the circuit as its reason. At most `maxAttempts × maxDelayMs` of waiting in
 * all, on top of the back-offs.
 *
 * @example
 * breakerWaitMs({ maxAttempts: 3 }, job, { kind: 'circuit_open', provider: 'openai', retryAt: now + 20_000 }, now);
 * // => 20000 (within 60 s); undefined once this try has already waited 40 s or more
 */
export function breakerWaitMs(
  retry: RetryPolicy | undefined,
  job: Pick<ParsedStepJob, 'deferredMs'>,
  failure: AiFailure | undefined,
  nowMs: number,
): number | undefined {
  if (failure?.kind !== 'circuit_open' || failure.retryAt === undefined) return undefined;
  const wait = Math.max(0, failure.retryAt - nowMs);
  const budget = retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  return (job.deferredMs ?? 0) + wait + BREAKER_JITTER_MS <= budget ? wait : undefined;
}
