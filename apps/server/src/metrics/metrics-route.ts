import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { errorBody } from '../ingest-schema';
import type { ScrapeSource } from './database-metrics';
import type { SignoffMetrics } from './signoff-metrics';

export interface MetricsAccess {
  /** Serve `/metrics` at all. */
  enabled: boolean;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether `header` is `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m !== null && timingSafeEqual(digest(m[1] as string), digest(token));
}

/**
 * `GET /metrics` in the Prometheus text format. Off: 404, as for any unknown path. With a token: 401
 * and `WWW-Authenticate: Bearer` without it. A scrape never fails for the database: its series are
 * left out and `signoff_database_up` says 0; any other failure answers 503, never 500.
 *
 * @example
 * app.get('/metrics', metricsHandler({ db, boss }, metrics, { enabled: true, token: env.SIGNOFF_METRICS_TOKEN }));
 */
export function metricsHandler(
  source: ScrapeSource,
  metrics: SignoffMetrics | undefined,
  access: MetricsAccess,
): (c: Context) => Promise<Response> {
  return async (c: Context) => {
    if (!access.enabled || !metrics) return c.json(errorBody('NOT_FOUND', 'Not found'), 404);
    if (access.token !== undefined && !bearerMatches(c.req.header('authorization'), access.token)) {
      c.header('WWW-Authenticate', 'Bearer realm="signoff-metrics"');
      return c.json(errorBody('UNAUTHORIZED', 'Metrics need Authorization: Bearer <SIGNOFF_METRICS_TOKEN>'), 401);
    }
    let body: string;
    try {
      body = await metrics.scrape(source);
    } catch (e) {
      // The database's failures are handled in the scrape; anything else must not become a 500.
      console.error('[metrics] scrape failed', e);
      return c.json(errorBody('METRICS_UNAVAILABLE', 'The metrics could not be gathered; try again'), 503);
    }
    c.header('Content-Type', metrics.contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(body, 200);
  };
}
