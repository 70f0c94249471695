// `GET /trpc/items/:itemId/trail?format=pdf|json`: an item's decision trail as a file (the PDF
// report or the JSON of `trail.get`). Under /trpc for the console's session cookie (see
// datasets-route.ts), and at /api/v1/items/:itemId/trail for bearer tokens.
import type { ApiDeps } from '@signoff/api';
import { AppError, toFieldIssues, trailDownloadQuery, uuid } from '@signoff/core';
import { exportDecisionTrail } from '@signoff/engine';
import type { Context } from 'hono';
import { downloadCaller, queryWithoutCsrf } from './download-auth';
import { errorBody } from './ingest-schema';

/**
 * The trail download route. Needs `audit:read`. Answers 400 naming the bad parameter (`itemId`,
 * `format`), 401/403, 404 for an unknown item, else 200 with the file as an attachment. Item data
 * in it is PII-masked; the reviewers' and actors' identities are not.
 *
 * @example
 * curl -H "authorization: Bearer $TOKEN" -OJ "$URL/api/v1/items/$ITEM/trail?format=pdf"
 */
export function downloadTrail(deps: ApiDeps, trustProxy: number) {
  return async (c: Context): Promise<Response> => {
    const caller = await downloadCaller(deps, trustProxy, c, 'audit:read');
    if (caller instanceof Response) return caller;
    const id = uuid.safeParse(c.req.param('itemId'));
    const query = trailDownloadQuery.safeParse(Object.fromEntries(queryWithoutCsrf(c)));
    if (!id.success || !query.success) {
      const issues = [
        ...(id.success ? [] : [{ path: 'itemId', message: 'Expected a UUID' }]),
        ...(query.success ? [] : toFieldIssues(query.error.issues)),
      ];
      return c.json(errorBody('BAD_INPUT', `Invalid download: ${issues.map((i) => i.path).join(', ')}`, issues), 400);
    }
    try {
      const file = await exportDecisionTrail(deps.db, id.data, {
        format: query.data.format,
        author: { email: caller.email, name: caller.name },
      });
      return new Response(new Uint8Array(file.body), {
        status: 200,
        headers: {
          'content-type': file.contentType,
          'content-disposition': `attachment; filename="${file.fileName}"`,
          'cache-control': 'no-store',
        },
      });
    } catch (e) {
      if (e instanceof AppError && e.code === 'NOT_FOUND') return c.json(errorBody('NOT_FOUND', e.message), 404);
      throw e;
    }
  };
}
