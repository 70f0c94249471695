// The tRPC context of an HTTP request: who is calling (a bearer token, or the console's session
// cookie with its CSRF proof), from where, and how to set the session cookies.
import { createHash, timingSafeEqual } from 'node:crypto';
import { CSRF_COOKIE, CSRF_HEADER, isAppError, SESSION_COOKIE } from '@signoff/core';
import type { TRPCError } from '@trpc/server';
import { type ApiDeps, bearerToken, type Context, createContextInner, type SessionCookieJar } from './context';

// SESSION_COOKIE: HttpOnly, SameSite=Strict, sent to /trpc only; scripts in the page cannot read it.
// CSRF_COOKIE: readable by the console, which echoes it in CSRF_HEADER; another site can neither
// read it nor set the header.
export { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE };

/**
 * The CSRF proof of a session: derived from its token, so it needs no storage, changes with every
 * session, and a cookie planted by someone else (a sibling subdomain) cannot come with a matching one.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update('signoff-csrf\n').update(sessionToken).digest('base64url');
}

/** The cookies of a `Cookie` header, by name (the first of a repeated name wins, as browsers order them). */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // A value that is not valid percent-encoding is not ours.
    }
  }
  return cookies;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(name: string, value: string, attributes: string[]): string {
  return [`${name}=${encodeURIComponent(value)}`, ...attributes].join('; ');
}

/**
 * Writes the session cookies onto a response. `secure` (the request came over HTTPS) adds
 * `Secure`; over plain HTTP (a laptop, the tests) a Secure cookie would never come back.
 */
export function sessionCookieJar(resHeaders: Headers, secure: boolean): SessionCookieJar {
  const common = ['SameSite=Strict', ...(secure ? ['Secure'] : [])];
  const set = (token: string, csrf: string, maxAge: number) => {
    resHeaders.append(
      'set-cookie',
      cookie(SESSION_COOKIE, token, ['Path=/trpc', 'HttpOnly', ...common, `Max-Age=${maxAge}`]),
    );
    resHeaders.append('set-cookie', cookie(CSRF_COOKIE, csrf, ['Path=/', ...common, `Max-Age=${maxAge}`]));
  };
  return {
    issue(token, maxAgeSeconds) {
      set(token, csrfTokenFor(token), maxAgeSeconds);
    },
    clear() {
      set('', '', 0);
    },
  };
}

export interface HttpRequestFacts {
  req: Request;
  resHeaders: Headers;
  /** From the socket, or from X-Forwarded-For behind a trusted proxy (the server decides). */
  clientAddress: string | null;
  /** The request reached us over HTTPS (directly, or per a trusted proxy). */
  secure: boolean;
}

/**
 * The context of an HTTP call. `Authorization: Bearer` (programs, API keys' users) wins and needs
 * no CSRF proof: browsers never add it on their own. Otherwise the session cookie counts only with
 * its CSRF proof in `CSRF_HEADER`; without it the call is refused (`refusal: 'csrf'`), not run as
 * anonymous. Every cookie-authenticated call is checked, queries included.
 *
 * @example
 * fetchRequestHandler({ ..., createContext: ({ req, resHeaders }) =>
 *   createHttpContext(deps, { req, resHeaders, clientAddress: '10.0.0.7', secure: false }) });
 */
export async function createHttpContext(deps: ApiDeps, facts: HttpRequestFacts): Promise<Context> {
  const http = { clientAddress: facts.clientAddress, cookies: sessionCookieJar(facts.resHeaders, facts.secure) };
  const bearer = bearerToken(facts.req.headers.get('authorization'));
  if (bearer) return createContextInner(deps, bearer, http);
  const sessionToken = parseCookies(facts.req.headers.get('cookie')).get(SESSION_COOKIE);
  if (!sessionToken) return createContextInner(deps, null, http);
  const proof = facts.req.headers.get(CSRF_HEADER);
  if (proof && sameSecret(proof, csrfTokenFor(sessionToken))) return createContextInner(deps, sessionToken, http);
  return createContextInner(deps, null, { ...http, refusal: 'csrf' });
}

/**
 * tRPC's `responseMeta`: a `Retry-After` header when a call was refused for a while
 * (`RATE_LIMITED`, which `ERROR_STATUS` maps to 429).
 */
export function retryAfterMeta({ errors }: { errors: TRPCError[] }): { headers?: Headers } {
  const seconds = Math.max(
    0,
    ...errors.map((e) => (isAppError(e.cause, 'RATE_LIMITED') ? (e.cause.retryAfterSeconds ?? 0) : 0)),
  );
  return seconds > 0 ? { headers: new Headers({ 'retry-after': String(seconds) }) } : {};
}
