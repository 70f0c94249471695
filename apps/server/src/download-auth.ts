// Who is downloading a file: the same callers as tRPC (a bearer token, or the console's session
// cookie with its CSRF proof), checked for one permission, before any work starts.
import { type ApiDeps, CSRF_HEADER, createHttpContext } from '@signoff/api';
import { type Permission, roleHas } from '@signoff/core';
import type { SessionUser } from '@signoff/governance';
import type { Context } from 'hono';
import { requestFacts } from './client-address';
import { errorBody } from './ingest-schema';

/**
 * The caller of a download route, or the 401/403 JSON answer to send instead. The CSRF proof may
 * come in the `x-signoff-csrf` header or, for a plain link, the `csrf` query parameter: it is
 * derived from the session and useless without its cookie, which SameSite=Strict keeps off other
 * sites' requests.
 *
 * @example
 * const caller = await downloadCaller(deps, trustProxy, c, 'audit:read');
 * if (caller instanceof Response) return caller;
 */
export async function downloadCaller(
  deps: ApiDeps,
  trustProxy: number,
  c: Context,
  permission: Exclude<Permission, 'public'>,
): Promise<SessionUser | Response> {
  const headers = new Headers(c.req.raw.headers);
  const csrf = c.req.query('csrf');
  if (csrf && !headers.has(CSRF_HEADER)) headers.set(CSRF_HEADER, csrf);
  const ctx = await createHttpContext(deps, {
    req: new Request(c.req.url, { headers }),
    resHeaders: new Headers(),
    ...requestFacts(c, trustProxy),
  });
  if (!ctx.user)
    return ctx.refusal === 'csrf'
      ? c.json(errorBody('FORBIDDEN', 'The session cookie came without its CSRF token'), 403)
      : c.json(errorBody('UNAUTHENTICATED', 'Sign in first'), 401);
  if (!roleHas(ctx.user.role, permission))
    return c.json(errorBody('FORBIDDEN', `Your role (${ctx.user.role}) may not do this (needs ${permission})`), 403);
  return ctx.user;
}

/** A query string's parameters without the `csrf` proof, which is no filter. */
export function queryWithoutCsrf(c: Context): URLSearchParams {
  const params = new URL(c.req.url).searchParams;
  params.delete('csrf');
  return params;
}
