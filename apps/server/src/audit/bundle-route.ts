// `GET /trpc/audit/bundle?item=ID&item=ID&from=...&to=...`: a signed audit bundle to download (the
// console's button), the same file as `signoff audit export`. Also at /api/v1/audit/bundle.
import type { ApiDeps } from '@signoff/api';
import { uuid } from '@signoff/core';
import { exportAuditBundle, NO_SIGNING_KEY } from '@signoff/governance';
import type { Context } from 'hono';
import { z } from 'zod';
import { downloadCaller } from '../download-auth';
import { errorBody } from '../ingest-schema';

const bundleQuery = z.strictObject({
  item: z.array(uuid).max(1000, 'At most 1,000 items per bundle').optional(),
  from: z.coerce.date({ error: 'Expected a date or time' }).optional(),
  to: z.coerce.date({ error: 'Expected a date or time' }).optional(),
});

/**
 * Needs `audit:read`. Answers 400 for a bad query (which parameter, what was expected), 401/403,
 * 404 for an unknown item, 409 when no signing key is configured, else 200 with the bundle as
 * `Content-Disposition: attachment`.
 *
 * @example
 * curl -H "authorization: Bearer $TOKEN" -OJ "$URL/api/v1/audit/bundle?item=$ITEM"
 */
export function downloadAuditBundle(deps: ApiDeps, trustProxy: number) {
  return async (c: Context): Promise<Response> => {
    const who = await downloadCaller(deps, trustProxy, c, 'audit:read');
    if (who instanceof Response) return who;
    const items = c.req.queries('item');
    const { csrf: _csrf, item: _item, ...rest } = c.req.query();
    const query = bundleQuery.safeParse({ ...rest, ...(items ? { item: items } : {}) });
    if (!query.success)
      return c.json(
        errorBody(
          'BAD_INPUT',
          'Invalid bundle request',
          query.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(query)', message: i.message })),
        ),
        400,
      );
    if (!deps.auditSigner) return c.json(errorBody('CONFLICT', NO_SIGNING_KEY), 409);
    const { item, from, to } = query.data;
    const bundle = await exportAuditBundle(deps.db, deps.auditSigner, {
      ...(item ? { items: item } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    });
    const name = `signoff-audit-${bundle.exportedAt.replace(/[:.]/g, '-')}.json`;
    return new Response(JSON.stringify(bundle), {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'content-disposition': `attachment; filename="${name}"`,
        'cache-control': 'no-store',
      },
    });
  };
}
