// `POST /api/v1/items`: one item `{workflow, input, idempotencyKey?}` or a batch `{items: [...]}`.
import { type ApiDeps, bearerToken, ERROR_STATUS } from '@signoff/api';
import { type ApiKeyScope, type AppError, isAppError, itemSubmission } from '@signoff/core';
import type { DB } from '@signoff/db';
import { submitItem } from '@signoff/engine';
import { type Actor, findApiKey, findSessionUser } from '@signoff/governance';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import { submitBatch } from './ingest-batch';
import { readJsonBody } from './ingest-body';
import {
  type ErrorDetail,
  errorBody,
  type IngestBatchResponse,
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_ITEMS,
  MAX_SINGLE_BODY_BYTES,
  summarizeResults,
} from './ingest-schema';

type HttpStatus = 400 | 401 | 403 | 404 | 409 | 429 | 500 | 502 | 503;

/** The HTTP status of a domain error. */
export function httpStatusOf(e: AppError): HttpStatus {
  const map = {
    BAD_REQUEST: 400,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    CONFLICT: 409,
    TOO_MANY_REQUESTS: 429,
    SERVICE_UNAVAILABLE: 503,
    BAD_GATEWAY: 502,
  } as const;
  return (map as Record<string, HttpStatus>)[ERROR_STATUS[e.code]] ?? 500;
}

type Authentication =
  | { ok: true; actor: Actor }
  | { ok: false; status: 401 | 403; body: { error: ErrorDetail & { requiredScope?: ApiKeyScope } } };

/**
 * An ingestion caller is an API key holding `scope`, or a signed-in admin (for trying the API from
 * a session). No key, or an unknown or revoked one, is a 401; a key without the scope a 403 that
 * names it.
 */
export async function authenticate(
  db: Kysely<DB>,
  header: string | undefined,
  scope: ApiKeyScope,
): Promise<Authentication> {
  const token = bearerToken(header);
  if (!token)
    return {
      ok: false,
      status: 401,
      body: errorBody('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>"'),
    };
  const key = await findApiKey(db, token);
  if (key) {
    if (key.scopes.includes(scope)) return { ok: true, actor: { type: 'api_key', id: key.id } };
    return {
      ok: false,
      status: 403,
      body: {
        error: {
          code: 'FORBIDDEN',
          message: `This API key lacks the scope "${scope}" (it has: ${key.scopes.join(', ')}); use a key created with the scope ${scope}`,
          requiredScope: scope,
        },
      },
    };
  }
  const user = await findSessionUser(db, token);
  if (user?.role === 'admin') return { ok: true, actor: { type: 'user', id: user.id } };
  return { ok: false, status: 401, body: errorBody('UNAUTHENTICATED', 'Unknown or revoked API key') };
}

function isBatch(body: unknown): body is Record<string, unknown> & { items: unknown } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'items' in body;
}

/** Why a batch envelope is refused as a whole, or undefined when it is well-formed. */
function batchEnvelopeProblem(body: Record<string, unknown>): string | undefined {
  const extra = Object.keys(body).filter((k) => k !== 'items');
  if (extra.length)
    return `A batch is {"items": [...]} and nothing else (found ${extra.map((k) => `"${k}"`).join(', ')}); send single items without "items"`;
  const { items } = body;
  if (!Array.isArray(items)) return '"items" must be an array of {workflow, input, idempotencyKey?}';
  if (items.length === 0) return 'A batch needs at least 1 item';
  if (items.length > MAX_BATCH_ITEMS)
    return `A batch holds at most ${MAX_BATCH_ITEMS} items; this one has ${items.length}: split it into smaller batches`;
  return undefined;
}

/**
 * The ingestion route. A single item answers `201` (created) or `200` (idempotency key seen
 * before) with `{id, workflow, version, created}`, or an error status. A batch answers `200` with a
 * result per item (see `ingestBatchResponse`) as long as the batch itself is well-formed.
 *
 * @example
 * app.post('/api/v1/items', ingestItems(deps));
 */
export function ingestItems(deps: ApiDeps) {
  return async (c: Context): Promise<Response> => {
    const auth = await authenticate(deps.db, c.req.header('authorization'), 'items:submit');
    if (!auth.ok) return c.json(auth.body, auth.status);

    const body = await readJsonBody(c.req.raw, MAX_BATCH_BODY_BYTES);
    if (!body.ok && body.reason === 'too_large')
      return c.json(errorBody('BAD_INPUT', `Body exceeds ${body.limit} bytes: split the batch`), 413);
    if (!body.ok) return c.json(errorBody('BAD_INPUT', `Body must be a JSON object (${body.message})`), 400);

    if (isBatch(body.value)) {
      const problem = batchEnvelopeProblem(body.value);
      if (problem) return c.json(errorBody('BAD_INPUT', problem), 400);
      const results = await submitBatch(deps, body.value.items as unknown[], auth.actor);
      const response: IngestBatchResponse = { results, summary: summarizeResults(results) };
      return c.json(response, 200);
    }

    if (body.bytes > MAX_SINGLE_BODY_BYTES)
      return c.json(errorBody('BAD_INPUT', `A single item's body may be at most ${MAX_SINGLE_BODY_BYTES} bytes`), 413);
    const parsed = itemSubmission.safeParse(body.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(root)',
        message: i.message,
      }));
      return c.json(errorBody('BAD_INPUT', 'Invalid submission', issues), 400);
    }
    try {
      const item = await deps.db.transaction().execute((trx) => submitItem(trx, deps, parsed.data, auth.actor));
      return c.json(item, item.created ? 201 : 200);
    } catch (e) {
      if (isAppError(e)) return c.json(errorBody(e.code, e.message, e.issues), httpStatusOf(e));
      throw e;
    }
  };
}
