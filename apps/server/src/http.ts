import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { type ApiDeps, appRouter, bearerToken, createContextInner, ERROR_STATUS } from '@signoff/api';
import { type AppError, isAppError, itemSubmission } from '@signoff/core';
import { submitItem } from '@signoff/engine';
import { findApiKey, findSessionUser } from '@signoff/governance';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { Hono } from 'hono';
import { sql } from 'kysely';

/** Largest accepted ingestion body. */
const MAX_BODY_BYTES = 1024 * 1024;

function errorBody(code: string, message: string, issues?: { path: string; message: string }[]) {
  return { error: { code, message, ...(issues ? { issues } : {}) } };
}

function statusOf(e: AppError): 400 | 401 | 403 | 404 | 409 | 500 | 502 | 503 {
  const map = {
    BAD_REQUEST: 400,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    CONFLICT: 409,
    SERVICE_UNAVAILABLE: 503,
    BAD_GATEWAY: 502,
  } as const;
  return (map as Record<string, 400 | 401 | 403 | 404 | 409 | 502 | 503>)[ERROR_STATUS[e.code]] ?? 500;
}

/**
 * The HTTP surface: tRPC at /trpc for the console, item ingestion at /api/v1, health, and the
 * console's static files (any other path falls back to its index.html).
 */
export function createHttpApp(deps: ApiDeps, options: { consoleDir?: string } = {}) {
  const app = new Hono();

  app.get('/healthz', async (c) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
      return c.json({ status: 'ok' });
    } catch (e) {
      return c.json({ status: 'unavailable', error: e instanceof Error ? e.message : String(e) }, 503);
    }
  });

  app.all('/trpc/*', (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: appRouter,
      createContext: () => createContextInner(deps, bearerToken(c.req.header('authorization'))),
    }),
  );

  app.post('/api/v1/items', async (c) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) return c.json(errorBody('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"'), 401);
    const key = await findApiKey(deps.db, token);
    const user = key ? undefined : await findSessionUser(deps.db, token);
    if (!key && user?.role !== 'admin') return c.json(errorBody('UNAUTHENTICATED', 'Unknown or revoked API key'), 401);
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > MAX_BODY_BYTES) return c.json(errorBody('BAD_INPUT', `Body exceeds ${MAX_BODY_BYTES} bytes`), 413);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(errorBody('BAD_INPUT', 'Body must be a JSON object'), 400);
    }
    const parsed = itemSubmission.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(root)',
        message: i.message,
      }));
      return c.json(errorBody('BAD_INPUT', 'Invalid submission', issues), 400);
    }
    const actor = key
      ? ({ type: 'api_key', id: key.id } as const)
      : ({ type: 'user', id: (user as { id: string }).id } as const);
    try {
      const item = await deps.db.transaction().execute((trx) => submitItem(trx, deps, parsed.data, actor));
      return c.json(item, item.created ? 201 : 200);
    } catch (e) {
      if (isAppError(e)) return c.json(errorBody(e.code, e.message, e.issues), statusOf(e));
      throw e;
    }
  });

  app.onError((e, c) => {
    if (isAppError(e)) return c.json(errorBody(e.code, e.message, e.issues), statusOf(e));
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
