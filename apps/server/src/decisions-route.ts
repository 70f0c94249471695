// `GET /trpc/decisions/export?format=csv&routes=auto,sampled&confidenceMax=0.9&...`: every decision a
// search matches (not a page), streamed in keyset batches. Under /trpc for the console's session
// cookie (see datasets-route.ts), and at /api/v1/decisions/export for bearer tokens.
import { PassThrough, Readable } from 'node:stream';
import type { ApiDeps } from '@signoff/api';
import { decisionSearchFilters, fromSearchParams, searchExportFormat, toFieldIssues } from '@signoff/core';
import { SEARCH_EXPORT_FILES, writeDecisionExport } from '@signoff/datasets';
import type { Context } from 'hono';
import { downloadCaller, queryWithoutCsrf } from './download-auth';
import { errorBody } from './ingest-schema';

/**
 * The export route. Needs `audit:read`. The filters are `decisions.search`'s, as query parameters
 * (lists comma-separated, booleans `true`/`false`), plus `format` (`csv` or `json`). Answers 400
 * naming each bad parameter, 401/403, else 200 with the file as an attachment, written as the
 * client reads it; every row passes through PII masking first.
 *
 * @example
 * curl -H "authorization: Bearer $TOKEN" -OJ "$URL/api/v1/decisions/export?format=csv&routes=auto,sampled&confidenceMax=0.9"
 */
export function exportDecisions(deps: ApiDeps, trustProxy: number) {
  return async (c: Context): Promise<Response> => {
    const caller = await downloadCaller(deps, trustProxy, c, 'audit:read');
    if (caller instanceof Response) return caller;
    const params = queryWithoutCsrf(c);
    const format = searchExportFormat.safeParse(params.get('format') ?? undefined);
    params.delete('format');
    const filters = decisionSearchFilters.safeParse(fromSearchParams(params));
    if (!format.success || !filters.success) {
      const issues = [
        ...(format.success
          ? []
          : [{ path: 'format', message: format.error.issues[0]?.message ?? 'Choose csv or json' }]),
        ...(filters.success ? [] : toFieldIssues(filters.error.issues)),
      ];
      return c.json(errorBody('BAD_INPUT', 'Invalid export', issues), 400);
    }
    const file = SEARCH_EXPORT_FILES[format.data];
    const body = new PassThrough();
    writeDecisionExport(deps.db, filters.data, format.data, body).then(
      () => body.end(),
      (e) => {
        // The client went away, or the database did: the response ends unfinished, which the client sees.
        if (!body.destroyed) console.error('[http] decision export failed', e);
        body.destroy(e instanceof Error ? e : new Error(String(e)));
      },
    );
    const stamp = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
    return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="decisions-${stamp}.${file.extension}"`,
        'cache-control': 'no-store',
      },
    });
  };
}
