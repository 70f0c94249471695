// Limits on `/trpc` requests, applied before tRPC reads anything: the body's size (counted as it
// arrives) and the number of calls in one batch.
import { type ApiDeps, appRouter, type Context } from '@signoff/api';
import { TRPC_MAX_BATCH_CALLS } from '@signoff/core';
import { TRPCError } from '@trpc/server';
import { resolveResponse } from '@trpc/server/http';
import type { MiddlewareHandler } from 'hono';
import { readBoundedBody } from './ingest-body';

export interface TrpcLimits {
  maxBodyBytes: number;
  /** Most calls in one batched request (`?batch=1`). */
  maxBatchCalls?: number;
}

/**
 * Hono middleware for `/trpc/*`. A batch of more than `maxBatchCalls` calls is refused with 400
 * and a body over `maxBodyBytes` with 413 — by `content-length`, or once a chunked stream passes
 * the limit, without reading the rest. Refusals are tRPC error envelopes (one per call of a batch,
 * formatted by the router's errorFormatter), so tRPC clients read them like any other error; no
 * procedure runs and no session is looked up. An accepted body is handed on as a buffer.
 *
 * @example
 * app.use('/trpc/*', limitTrpcRequests(deps, { maxBodyBytes: 1024 * 1024 }));
 */
export function limitTrpcRequests(deps: ApiDeps, limits: TrpcLimits): MiddlewareHandler {
  const maxBatchCalls = limits.maxBatchCalls ?? TRPC_MAX_BATCH_CALLS;
  return async (c, next) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    if (url.searchParams.get('batch') === '1') {
      const calls = procedurePath(url).split(',').length;
      if (calls > maxBatchCalls)
        return refuse(
          deps,
          req,
          new TRPCError({
            code: 'BAD_REQUEST',
            message: `A batch may hold at most ${maxBatchCalls} calls; this one has ${calls}: send fewer at once`,
          }),
        );
    }
    if (req.body && req.method !== 'GET' && req.method !== 'HEAD') {
      const read = await readBoundedBody(req, limits.maxBodyBytes);
      if (!read.ok)
        return refuse(
          deps,
          req,
          new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `Request body exceeds ${read.limit} bytes` }),
        );
      c.req.raw = new Request(req.url, {
        method: req.method,
        headers: req.headers,
        body: read.body,
        signal: req.signal,
      });
    }
    await next();
  };
}

/** The procedure path(s) after `/trpc/`, as tRPC's fetch adapter computes it. */
function procedurePath(url: URL): string {
  return decodeURIComponent(url.pathname.replace(/^\/trpc\/?/, '').replace(/\/$/, ''));
}

/** A tRPC error response for every call of the request, none of which runs. */
function refuse(deps: ApiDeps, req: Request, error: TRPCError): Promise<Response> {
  const url = new URL(req.url);
  // The body is left unread: tRPC reads inputs lazily, and a refused call never asks for them.
  const bodiless = new Request(req.url, { method: req.method, headers: req.headers });
  const ctx: Context = { ...deps, user: null, token: null };
  return resolveResponse({
    router: appRouter,
    req: bodiless,
    path: procedurePath(url),
    createContext: async () => ctx,
    error,
  });
}
