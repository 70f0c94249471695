// Every JSON answer of the HTTP API (/api/v1/...) is masked like tRPC's (issue 12): a route added
// later cannot forget it. File downloads (CSV, Parquet, PDF, …) are masked by the code that writes
// them, row by row, before they are rendered.
import { maskPii } from '@signoff/governance';
import type { MiddlewareHandler } from 'hono';

export function maskJsonResponses(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const type = c.res.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) return;
    // A file (an attachment such as a signed audit bundle, whose hashes cover its bytes) is written
    // masked by its route, or holds no PII; changing it here would break what it proves.
    if (c.res.headers.has('content-disposition')) return;
    const text = await c.res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON after all: nothing item-shaped can be found in it reliably, so nothing goes out.
      c.res = new Response(JSON.stringify({ error: { code: 'INTERNAL', message: 'Unreadable answer' } }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      });
      return;
    }
    const headers = new Headers(c.res.headers);
    headers.delete('content-length');
    c.res = new Response(JSON.stringify(maskPii(body)), { status: c.res.status, headers });
  };
}
