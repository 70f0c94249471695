import { describe, expect, it } from 'vitest';
import { readEnv } from '../env';
import { isLoopback, metricsAccess } from './metrics-access';
import { bearerMatches } from './metrics-route';

const TOKEN = 'a-token-of-sixteen-chars';

describe('metricsAccess', () => {
  it('serves /metrics by default on a loopback bind, or behind a token anywhere', () => {
    expect(metricsAccess(readEnv({}))).toEqual({ enabled: true });
    expect(metricsAccess(readEnv({ HOST: '0.0.0.0' }))).toEqual({ enabled: false });
    expect(metricsAccess(readEnv({ HOST: '0.0.0.0', SIGNOFF_METRICS_TOKEN: TOKEN }))).toEqual({
      enabled: true,
      token: TOKEN,
    });
  });

  it('serves it unprotected anywhere only when asked (on), and never when off', () => {
    expect(metricsAccess(readEnv({ HOST: '0.0.0.0', SIGNOFF_METRICS: 'on' }))).toEqual({ enabled: true });
    expect(metricsAccess(readEnv({ SIGNOFF_METRICS: 'off', SIGNOFF_METRICS_TOKEN: TOKEN })).enabled).toBe(false);
  });

  it('knows the loopback addresses', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.0.0.1.example.com'])
      expect(isLoopback(h)).toBe(false);
  });
});

describe('the metrics environment', () => {
  it.each([
    [{ SIGNOFF_METRICS: 'yes' }, 'SIGNOFF_METRICS: SIGNOFF_METRICS must be auto, on or off'],
    [{ SIGNOFF_METRICS_TOKEN: 'short' }, 'SIGNOFF_METRICS_TOKEN: SIGNOFF_METRICS_TOKEN must be at least 16'],
    [{ SIGNOFF_METRICS_TOKEN: 'has a space in the middle' }, 'SIGNOFF_METRICS_TOKEN: SIGNOFF_METRICS_TOKEN must be'],
    [{ SIGNOFF_METRICS_PORT: 'ninety' }, 'SIGNOFF_METRICS_PORT: SIGNOFF_METRICS_PORT must be a port number'],
    [{ SIGNOFF_METRICS_PORT: '70000' }, 'SIGNOFF_METRICS_PORT: SIGNOFF_METRICS_PORT must be a port number'],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => readEnv(env)).toThrow(message);
  });
});

describe('bearerMatches', () => {
  it('accepts exactly `Bearer <token>`', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    for (const h of [undefined, '', TOKEN, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, 'Bearer '])
      expect(bearerMatches(h, TOKEN)).toBe(false);
  });
});
