import type { BreakerState, DecisionProvider } from '@signoff/ai';
import type { CommittedTransition } from '@signoff/engine';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type DatabaseMetricsOptions, databaseMetrics, type ScrapeSource } from './database-metrics';
import { BREAKER_STATE_VALUE, countCommitted, processMetrics } from './process-metrics';
import { withProviderMetrics } from './provider-metrics';

/** A process's metrics: one registry, and the hooks that feed it. */
export interface SignoffMetrics {
  readonly registry: Registry;
  /** The engine's `onCommitted` (pass to `startWorkers`). */
  onCommitted(transitions: readonly CommittedTransition[]): void;
  /** Wraps a provider so that its calls are counted (outside its circuit breaker). */
  observeProvider(provider: DecisionProvider): DecisionProvider;
  /**
   * A circuit breaker's `onStateChange`, for the named provider; `{ initial: true }` sets the gauge
   * to the state it starts in without counting a change.
   */
  breakerChanged(provider: string, state: BreakerState, options?: { initial?: boolean }): void;
  /** The Prometheus text exposition: the database read first, then every series. */
  scrape(source: ScrapeSource): Promise<string>;
  readonly contentType: string;
}

/**
 * Creates this process's metrics registry: the series it counts (transitions, decisions, AI
 * calls, circuit breakers), the ones read from the database at scrape time (items, review tasks,
 * auto-accept pauses), and Node's own (`process_*`, `nodejs_*`). Nothing is global: each call
 * has its own registry, so tests and several servers in one process never mix their counts.
 *
 * @example
 * const metrics = createSignoffMetrics();
 * await startWorkers({ db, boss, registry, provider: metrics.observeProvider(provider), onCommitted: metrics.onCommitted });
 * const text = await metrics.scrape({ db, boss });
 */
export function createSignoffMetrics(
  options: DatabaseMetricsOptions & { defaultMetrics?: boolean } = {},
): SignoffMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const m = processMetrics(registry);
  const dbm = databaseMetrics(registry, options);
  return {
    registry,
    contentType: registry.contentType,
    onCommitted: (transitions) => countCommitted(m, transitions),
    observeProvider: (provider) => withProviderMetrics(provider, m),
    breakerChanged(provider, state, opts = {}) {
      m.breakerState.set({ provider }, BREAKER_STATE_VALUE[state]);
      if (!opts.initial) m.breakerChanges.inc({ provider, state });
    },
    async scrape(source) {
      await dbm.collect(source);
      return registry.metrics();
    },
  };
}
