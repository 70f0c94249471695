import { createHash } from 'node:crypto';
import { canonicalJson } from '@signoff/core';
import type { AuditEvent, DB, NewAuditEvent } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';

export type Actor =
  | { type: 'system'; id?: string | null }
  | { type: 'user'; id: string }
  | { type: 'api_key'; id: string };

export const SYSTEM: Actor = { type: 'system', id: null };

export interface AuditInput {
  /** The item this event belongs to; events without one go to the `config` stream. */
  itemId?: string | null;
  actor: Actor;
  /** Dotted verb, e.g. `state.completed`, `review.submitted`, `workflow.registered`. */
  action: string;
  data?: Record<string, unknown>;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash of one event: SHA-256 over the previous hash and the event's canonical JSON. */
export function auditHash(
  prevHash: string,
  e: {
    stream: string;
    seq: number;
    itemId: string | null;
    actorType: string;
    actorId: string | null;
    action: string;
    data: Record<string, unknown>;
    createdAt: string;
  },
): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(e)).digest('hex');
}

/**
 * Appends one event to its stream's hash chain, inside the caller's transaction (so an event exists
 * exactly when the change it records does). Streams are per item, so concurrent items never wait on
 * one another; events of one stream are serialised by a transaction-scoped advisory lock.
 *
 * @example
 * await db.transaction().execute((trx) =>
 *   appendAudit(trx, { itemId, actor: SYSTEM, action: 'state.completed', data: { state: 'classify' } }));
 */
export async function appendAudit(trx: Transaction<DB>, input: AuditInput): Promise<AuditEvent> {
  const stream = input.itemId ?? 'config';
  let head: { seq: number; hash: string };
  if (input.itemId) {
    // An item's chain head is on its row: the row lock orders appends to the stream.
    const row = await trx
      .selectFrom('items')
      .select(['audit_seq', 'audit_hash'])
      .where('id', '=', input.itemId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    head = { seq: row.audit_seq, hash: row.audit_hash };
  } else {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${stream}, 727))`.execute(trx);
    const last = await trx
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('stream', '=', stream)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    head = { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH };
  }
  const [row] = chainEvents(stream, input.itemId ?? null, head, [input]);
  const event = await trx
    .insertInto('audit_events')
    .values(row as NewAuditEvent)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.itemId)
    await trx
      .updateTable('items')
      .set({ audit_seq: event.seq, audit_hash: event.hash })
      .where('id', '=', input.itemId)
      .execute();
  return event;
}

/**
 * Builds the rows of consecutive events of one stream from its current head, hashes chained.
 * Callers that hold the stream's head (an item's locked row) insert them in one statement and
 * store the returned head.
 */
export function chainEvents(
  stream: string,
  itemId: string | null,
  head: { seq: number; hash: string },
  inputs: Omit<AuditInput, 'itemId'>[],
): NewAuditEvent[] {
  let { seq, hash } = head;
  return inputs.map((input) => {
    seq += 1;
    const createdAt = new Date().toISOString();
    const data = normaliseData(input.data ?? {});
    const actorId = input.actor.id ?? null;
    const prevHash = hash;
    hash = auditHash(prevHash, {
      stream,
      seq,
      itemId,
      actorType: input.actor.type,
      actorId,
      action: input.action,
      data,
      createdAt,
    });
    return {
      stream,
      seq,
      item_id: itemId,
      actor_type: input.actor.type,
      actor_id: actorId,
      action: input.action,
      data: JSON.stringify(data),
      created_at: createdAt,
      prev_hash: prevHash,
      hash,
    };
  });
}

// What PostgreSQL's jsonb gives back must hash like what we wrote: drop undefined, dates as ISO strings.
function normaliseData(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}

export interface ChainVerification {
  stream: string;
  ok: boolean;
  checked: number;
  /** The first event that does not match, and why. */
  broken?: { seq: number; reason: string };
}

/**
 * Recomputes a stream's chain from its first event. Any edited, removed or reordered event breaks it.
 *
 * @example
 * const v = await verifyAuditStream(db, itemId);
 * if (!v.ok) console.error(`tampered at event ${v.broken?.seq}: ${v.broken?.reason}`);
 */
export async function verifyAuditStream(db: Kysely<DB>, stream: string): Promise<ChainVerification> {
  const events = await db.selectFrom('audit_events').selectAll().where('stream', '=', stream).orderBy('seq').execute();
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const e of events) {
    if (e.seq !== expectedSeq)
      return {
        stream,
        ok: false,
        checked: expectedSeq - 1,
        broken: { seq: e.seq, reason: `expected event ${expectedSeq}, found ${e.seq} (an event is missing)` },
      };
    if (e.prev_hash !== prev)
      return {
        stream,
        ok: false,
        checked: expectedSeq - 1,
        broken: { seq: e.seq, reason: 'previous-hash link does not match' },
      };
    const recomputed = auditHash(prev, {
      stream: e.stream,
      seq: e.seq,
      itemId: e.item_id,
      actorType: e.actor_type,
      actorId: e.actor_id,
      action: e.action,
      data: e.data,
      createdAt: e.created_at.toISOString(),
    });
    if (recomputed !== e.hash)
      return {
        stream,
        ok: false,
        checked: expectedSeq - 1,
        broken: { seq: e.seq, reason: 'content does not match its hash (edited)' },
      };
    prev = e.hash;
    expectedSeq++;
  }
  return { stream, ok: true, checked: events.length };
}
