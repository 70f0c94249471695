// tRPC over plain fetch, for tests about what travels on the wire (cookies, headers, statuses),
// which the tRPC client hides.

export interface TrpcAnswer {
  status: number;
  headers: Headers;
  /** The parsed body: `{ result: { data } }` or `{ error: { message, data: { code, httpStatus, appCode } } }`. */
  body: {
    result?: { data: unknown };
    error?: { message: string; data: { code: string; httpStatus: number; appCode: string | null } };
  };
  text: string;
  /** Each Set-Cookie header, as sent. */
  setCookies: string[];
}

/**
 * Calls one procedure: a mutation as `POST /trpc/<path>` with the input as JSON, a query as
 * `GET /trpc/<path>?input=...`.
 *
 * @example
 * const r = await callTrpc(s.url, 'auth.login', { input: { email, password } });
 */
export async function callTrpc(
  baseUrl: string,
  path: string,
  options: { input?: unknown; query?: boolean; headers?: Record<string, string> } = {},
): Promise<TrpcAnswer> {
  const url = new URL(`/trpc/${path}`, baseUrl);
  if (options.query && options.input !== undefined) url.searchParams.set('input', JSON.stringify(options.input));
  const res = await fetch(url, {
    method: options.query ? 'GET' : 'POST',
    headers: { ...(options.query ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.query ? {} : { body: JSON.stringify(options.input ?? null) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: JSON.parse(text),
    text,
    setCookies: res.headers.getSetCookie(),
  };
}

/** `name=value` of the Set-Cookie for `name`, ready for a `Cookie` header. */
export function cookiePair(setCookies: string[], name: string): string {
  const line = setCookies.find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no Set-Cookie for ${name} in ${JSON.stringify(setCookies)}`);
  return line.split(';')[0] as string;
}

/** The value of the Set-Cookie for `name`. */
export function cookieValue(setCookies: string[], name: string): string {
  return decodeURIComponent(cookiePair(setCookies, name).slice(name.length + 1));
}
