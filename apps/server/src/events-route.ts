// `POST /api/v1/events`: an event from outside that resumes the items waiting for it.
import type { ApiDeps } from '@signoff/api';
import { storable } from '@signoff/core';
import { deliverEvent } from '@signoff/engine';
import type { Context } from 'hono';
import { z } from 'zod';
import { authenticate } from './ingest';
import { readJsonBody } from './ingest-body';
import { errorBody } from './ingest-schema';

/** Body of `POST /api/v1/events`; text PostgreSQL cannot store, or nesting past `MAX_JSON_DEPTH`, is refused first. */
export const eventSubmission = storable(
  z.object({
    name: z.string().min(1, 'Name the event').max(200),
    key: z.string().min(1, 'Give the correlation key the waiting items use').max(500),
    payload: z.unknown().optional(),
    /** The sender's id for this event: sent again (a retry), it changes nothing. */
    id: z.string().min(1).max(200).optional(),
  }),
);

/**
 * Delivers an event: `200 {eventId, duplicate, resumed: [itemIds]}`. Every item waiting for
 * `{name, key}` resumes; if none waits yet, the event is kept for the first that will.
 *
 * @example
 * curl -X POST $URL/api/v1/events -H "authorization: Bearer $KEY" \
 *   -d '{"name":"payment.confirmed","key":"order-17","payload":{"amount":40},"id":"psp-evt-991"}'
 */
export function deliverEvents(deps: ApiDeps) {
  return async (c: Context): Promise<Response> => {
    const auth = await authenticate(deps.db, c.req.header('authorization'), 'events:send');
    if (!auth.ok) return c.json(auth.body, auth.status);
    const body = await readJsonBody(c.req.raw, 1024 * 1024);
    if (!body.ok)
      return body.reason === 'too_large'
        ? c.json(errorBody('BAD_INPUT', `Body exceeds ${body.limit} bytes`), 413)
        : c.json(errorBody('BAD_INPUT', body.message), 400);
    const parsed = eventSubmission.safeParse(body.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(root)',
        message: i.message,
      }));
      return c.json(errorBody('BAD_INPUT', 'Invalid event', issues), 400);
    }
    const { name, key, payload, id } = parsed.data;
    const result = await deps.db
      .transaction()
      .execute((trx) => deliverEvent(trx, deps, { name, key, payload, dedupeKey: id }, auth.actor));
    return c.json(result, 200);
  };
}
