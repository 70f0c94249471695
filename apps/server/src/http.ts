import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { type ApiDeps, appRouter, createHttpContext, retryAfterMeta } from '@signoff/api';
import { isAppError } from '@signoff/core';
import { isDatabaseUnavailable } from '@signoff/db';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { Hono } from 'hono';
import { sql } from 'kysely';
import { downloadAuditBundle } from './audit/bundle-route';
import { requestFacts } from './client-address';
import { databaseUnavailable, RETRY_AFTER_SECONDS, retryAfterWhenUnavailable } from './database-unavailable';
import { downloadDataset } from './datasets-route';
import { exportDecisions } from './decisions-route';
import { deliverEvents } from './events-route';
import { httpStatusOf, ingestItems } from './ingest';
import { DEFAULT_TRPC_MAX_BODY_BYTES, errorBody } from './ingest-schema';
import { maskJsonResponses } from './mask-json-responses';
import { type MetricsAccess, metricsHandler } from './metrics/metrics-route';
import type { SignoffMetrics } from './metrics/signoff-metrics';
import { securityHeaders } from './security-headers';
import { downloadTrail } from './trail-route';
import { limitTrpcRequests } from './trpc-limits';

// The ingestion API's wire format, for its clients (the CLI's `submit`).
export {
  type IngestBatchResponse,
  type IngestResult,
  ingestBatchResponse,
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_ITEMS,
  MAX_SINGLE_BODY_BYTES,
} from './ingest-schema';

/**
 * The HTTP surface: tRPC at /trpc for the console, item ingestion at /api/v1, health, Prometheus
 * metrics at /metrics (when `metrics` is given and its access allows; else 404), and the console's
 * static files (any other path falls back to its index.html).
 */
export function createHttpApp(
  deps: ApiDeps,
  options: {
    consoleDir?: string;
    trustProxy?: number;
    trpcMaxBodyBytes?: number;
    metrics?: { metrics: SignoffMetrics; access: MetricsAccess };
  } = {},
) {
  const app = new Hono();
  app.use('*', securityHeaders());

  app.get(
    '/metrics',
    metricsHandler(
      { db: deps.db, boss: deps.boss },
      options.metrics?.metrics,
      options.metrics?.access ?? { enabled: false },
    ),
  );

  app.get('/healthz', async (c) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
      return c.json({ status: 'ok' });
    } catch (e) {
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return c.json({ status: 'unavailable', error: e instanceof Error ? e.message : String(e) }, 503);
    }
  });

  // Every JSON answer under /api is masked (PII, issue 12); tRPC masks its own (packages/api/src/trpc.ts).
  app.use('/api/*', maskJsonResponses());

  // Before /trpc/*: the console's session cookie reaches /trpc paths only (see datasets-route.ts).
  const download = downloadDataset(deps, options.trustProxy ?? 0);
  app.get('/trpc/datasets/:snapshotId/export', download);
  app.get('/api/v1/datasets/:snapshotId/export', download);
  app.on('GET', ['/trpc/decisions/export', '/api/v1/decisions/export'], exportDecisions(deps, options.trustProxy ?? 0));
  const bundle = downloadAuditBundle(deps, options.trustProxy ?? 0);
  app.get('/trpc/audit/bundle', bundle);
  app.get('/api/v1/audit/bundle', bundle);
  for (const path of ['/trpc/items/:itemId/trail', '/api/v1/items/:itemId/trail'])
    app.get(path, downloadTrail(deps, options.trustProxy ?? 0));

  app.use(
    '/trpc/*',
    limitTrpcRequests(deps, { maxBodyBytes: options.trpcMaxBodyBytes ?? DEFAULT_TRPC_MAX_BODY_BYTES }),
  );
  app.all('/trpc/*', (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: appRouter,
      createContext: ({ resHeaders }) =>
        createHttpContext(deps, { req: c.req.raw, resHeaders, ...requestFacts(c, options.trustProxy ?? 0) }),
      // Retry-After for a throttled sign-in, and while the database is unavailable.
      responseMeta: (opts) => {
        const seconds = Math.max(
          Number(retryAfterMeta(opts).headers?.get('retry-after') ?? 0),
          Number(retryAfterWhenUnavailable(opts).headers ? RETRY_AFTER_SECONDS : 0),
        );
        return seconds > 0 ? { headers: { 'retry-after': String(seconds) } } : {};
      },
    }),
  );

  app.post('/api/v1/items', ingestItems(deps));
  app.post('/api/v1/events', deliverEvents(deps));

  app.onError((e, c) => {
    if (isAppError(e)) {
      if (e.retryAfterSeconds) c.header('retry-after', String(e.retryAfterSeconds));
      return c.json(errorBody(e.code, e.message, e.issues), httpStatusOf(e));
    }
    if (isDatabaseUnavailable(e)) return databaseUnavailable(c);
    console.error('[http] unhandled error', e);
    return c.json(errorBody('INTERNAL', 'Internal error'), 500);
  });

  const dir = options.consoleDir;
  if (dir) app.use('/assets/*', serveStatic({ root: dir }));
  // Read per request (it is small): a console rebuilt while the server runs is served at once.
  app.get('*', (c) => {
    const index = dir ? join(dir, 'index.html') : undefined;
    if (!index || !existsSync(index))
      return c.text('Signoff API is running. The console is not built: run `pnpm build`.', 503);
    return c.html(readFileSync(index, 'utf8'));
  });
  return app;
}
