import type { ServerEnv } from '../env';
import type { MetricsAccess } from './metrics-route';

/** Whether a host name or address is this machine only. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Who may read `/metrics`, from the environment (see `SIGNOFF_METRICS` in env.ts): served when
 * asked (`on`), or by default when a token protects it or nobody outside this machine can reach it.
 *
 * @example
 * metricsAccess({ SIGNOFF_METRICS: 'auto', HOST: '0.0.0.0' }); // { enabled: false }
 */
export function metricsAccess(
  env: Pick<ServerEnv, 'SIGNOFF_METRICS' | 'SIGNOFF_METRICS_TOKEN' | 'HOST'>,
): MetricsAccess {
  const token = env.SIGNOFF_METRICS_TOKEN;
  const enabled =
    env.SIGNOFF_METRICS === 'on' || (env.SIGNOFF_METRICS === 'auto' && (token !== undefined || isLoopback(env.HOST)));
  return { enabled, ...(token !== undefined ? { token } : {}) };
}
