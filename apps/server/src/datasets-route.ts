// `GET /trpc/datasets/:snapshotId/export?format=csv&split=train`: a snapshot's file, streamed.
// Under /trpc because the console's session cookie is scoped to that path (docs/security.md); a
// path with slashes is never a tRPC procedure. Also at /api/v1/datasets/... for bearer tokens.
import { PassThrough, Readable } from 'node:stream';
import type { ApiDeps } from '@signoff/api';
import { datasetExportQuery, uuid } from '@signoff/core';
import { FORMAT_FILES, getSnapshot, writeSnapshot } from '@signoff/datasets';
import type { Context } from 'hono';
import { downloadCaller } from './download-auth';
import { errorBody } from './ingest-schema';

/** A file name from a snapshot's name: letters, digits, dots, dashes and underscores only. */
export function downloadFileName(name: string, snapshotId: string, split: string | undefined, extension: string) {
  const base =
    name
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 80) || 'dataset';
  return `${base}-${snapshotId.slice(0, 8)}${split ? `-${split}` : ''}.${extension}`;
}

/**
 * The download route. The caller is a bearer token (`auth.login` with `session: 'bearer'`), or
 * the console's session cookie with its CSRF proof, in the `x-signoff-csrf` header or, for a plain
 * link, the `csrf` query parameter (it is derived from the session and useless without its
 * cookie, which SameSite=Strict keeps off other sites' requests). Needs `label:export`. Answers
 * 400 for a bad format, split or id, 401/403, 404 for an unknown snapshot, else 200 with the file
 * as `Content-Disposition: attachment`, written as the client reads it.
 *
 * @example
 * curl -H "authorization: Bearer $TOKEN" -OJ "$URL/api/v1/datasets/$ID/export?format=parquet&split=train"
 */
export function downloadDataset(deps: ApiDeps, trustProxy: number) {
  return async (c: Context): Promise<Response> => {
    const caller = await downloadCaller(deps, trustProxy, c, 'label:export');
    if (caller instanceof Response) return caller;
    const id = uuid.safeParse(c.req.param('snapshotId'));
    const { csrf: _csrf, ...rest } = c.req.query();
    const query = datasetExportQuery.safeParse(rest);
    if (!id.success || !query.success) {
      const issues = [
        ...(id.success ? [] : [{ path: 'snapshotId', message: 'Expected a UUID' }]),
        ...(query.success
          ? []
          : query.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(query)', message: i.message }))),
      ];
      return c.json(errorBody('BAD_INPUT', 'Invalid download', issues), 400);
    }
    const snapshot = await getSnapshot(deps.db, id.data);
    const { format, split } = query.data;
    const file = FORMAT_FILES[format];
    const body = new PassThrough();
    writeSnapshot(deps.db, snapshot.id, { format, split }, body).then(
      () => body.end(),
      (e) => {
        // The client went away, or the database did: the response ends unfinished, which the client sees.
        if (!body.destroyed) console.error('[http] dataset export failed', e);
        body.destroy(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
      status: 200,
      headers: {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="${downloadFileName(snapshot.name, snapshot.id, split, file.extension)}"`,
        'cache-control': 'no-store',
        'x-signoff-snapshot-sha256': snapshot.contentHash,
        // Members purged by retention export without their texts: the file no longer hashes as above.
        'x-signoff-purged-members': String(snapshot.purged.members),
      },
    });
  };
}
