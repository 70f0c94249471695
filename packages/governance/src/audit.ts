import { createHash } from 'node:crypto';
import { AppError, canonicalJson, isUuid } from '@signoff/core';
import type { AuditEvent, DB, NewAuditEvent } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { auditHash, GENESIS_HASH } from './audit-hash';

export { auditHash, GENESIS_HASH } from './audit-hash';

export type Actor =
  | { type: 'system'; id?: string | null }
  | { type: 'user'; id: string }
  | { type: 'api_key'; id: string };

export const SYSTEM: Actor = { type: 'system', id: null };

/** Streams that are not an item's: configuration changes, and sign-ins and account changes. */
export const GLOBAL_STREAMS = ['config', 'security'] as const;
export type GlobalStream = (typeof GLOBAL_STREAMS)[number];

export interface AuditInput {
  /** The item this event belongs to; events without one go to `stream`. */
  itemId?: string | null;
  /** For events without an item: `config` (the default) or `security`. */
  stream?: GlobalStream;
  actor: Actor;
  /** Dotted verb, e.g. `state.completed`, `review.submitted`, `workflow.registered`. */
  action: string;
  data?: Record<string, unknown>;
}

/**
 * The digest an audit event records in place of a payload (a state's output, an event's payload,
 * a reviewer's free text): SHA-256 (hex) of the payload's canonical JSON, `undefined` read as
 * `null`. The payload itself stays in its table, where retention may purge it; the event, and so
 * the chain, keeps proving what the payload was.
 *
 * @example
 * payloadHash({ b: 1, a: 'x' }) === sha256Hex('{"a":"x","b":1}'); // true
 */
export function payloadHash(payload: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(payload ?? null))
    .digest('hex');
}

/** `payloadHash` of a free text, or null when there is none (no reason given). */
export function textHash(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : payloadHash(text);
}

/**
 * Appends one event to its stream's hash chain, inside the caller's transaction (so an event exists
 * exactly when the change it records does). Streams are per item, so concurrent items never wait on
 * one another; the head of a stream (on the item's row, or in `audit_heads`) is locked and moved
 * with the event, which orders appends and anchors the chain's end for `verifyAuditStream`.
 *
 * @example
 * await db.transaction().execute((trx) =>
 *   appendAudit(trx, { itemId, actor: SYSTEM, action: 'state.completed', data: { state: 'classify' } }));
 */
export async function appendAudit(trx: Transaction<DB>, input: AuditInput): Promise<AuditEvent> {
  const stream = input.itemId ?? input.stream ?? 'config';
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
    head = await lockStreamHead(trx, stream);
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
  else
    await trx
      .updateTable('audit_heads')
      .set({ seq: event.seq, hash: event.hash, updated_at: sql`now()` })
      .where('stream', '=', stream)
      .execute();
  return event;
}

/** Locks (creating it at the genesis if needed) the head row of a stream without an item. */
async function lockStreamHead(trx: Transaction<DB>, stream: string): Promise<{ seq: number; hash: string }> {
  const select = () =>
    trx.selectFrom('audit_heads').select(['seq', 'hash']).where('stream', '=', stream).forUpdate().executeTakeFirst();
  const head = await select();
  if (head) return head;
  // A concurrent first append waits on the key here and then finds the committed row.
  await trx
    .insertInto('audit_heads')
    .values({ stream, seq: 0, hash: GENESIS_HASH })
    .onConflict((oc) => oc.column('stream').doNothing())
    .execute();
  const created = await select();
  if (!created) throw new Error(`audit head of ${stream} vanished`);
  return created;
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
    // The canonical JSON of the data is what PostgreSQL's jsonb gives back, once parsed and
    // canonicalised again (undefined dropped, dates as ISO strings): it is hashed and stored as is.
    const data = canonicalJson(input.data ?? {});
    const actorId = input.actor.id ?? null;
    const prevHash = hash;
    hash = chainHash(
      prevHash,
      { stream, seq, itemId, actorType: input.actor.type, actorId, action: input.action, createdAt },
      data,
    );
    return {
      stream,
      seq,
      item_id: itemId,
      actor_type: input.actor.type,
      actor_id: actorId,
      action: input.action,
      data,
      created_at: createdAt,
      prev_hash: prevHash,
      hash,
    };
  });
}

/**
 * `auditHash` with the data's canonical JSON already made: the event's canonical JSON is its keys
 * in sorted order (action, actorId, actorType, createdAt, data, itemId, seq, stream), which is what
 * `canonicalJson` of the whole event gives.
 */
function chainHash(prevHash: string, e: Omit<Parameters<typeof auditHash>[1], 'data'>, dataJson: string): string {
  const json = `{"action":${JSON.stringify(e.action)},"actorId":${JSON.stringify(e.actorId)},"actorType":${JSON.stringify(e.actorType)},"createdAt":${JSON.stringify(e.createdAt)},"data":${dataJson},"itemId":${JSON.stringify(e.itemId)},"seq":${JSON.stringify(e.seq)},"stream":${JSON.stringify(e.stream)}}`;
  return createHash('sha256').update(prevHash).update('\n').update(json).digest('hex');
}

export interface ChainVerification {
  stream: string;
  ok: boolean;
  /** Events that matched, from the first. */
  checked: number;
  /**
   * The head recorded for the stream (on the item's row, or in `audit_heads`): the chain must end
   * exactly there. Write it down somewhere else to notice a rewrite of the whole stream later.
   */
  head: { seq: number; hash: string };
  /** The first event that does not match, and why. */
  broken?: { seq: number; reason: string };
}

/**
 * Recomputes a stream's chain from its first event and compares its end with the stream's stored
 * head. Any edited, removed or reordered event breaks it, and so does a missing tail: the head says
 * how many events there were and what the last one hashed to. Events and head are read in one
 * snapshot, so appends running meanwhile do not look like tampering.
 * Throws `NOT_FOUND` for a stream with neither events nor a head.
 *
 * @example
 * const v = await verifyAuditStream(db, itemId);
 * if (!v.ok) console.error(`tampered at event ${v.broken?.seq}: ${v.broken?.reason}`);
 */
export async function verifyAuditStream(db: Kysely<DB> | Transaction<DB>, stream: string): Promise<ChainVerification> {
  if (!db.isTransaction)
    return db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((trx) => verifyAuditStream(trx, stream));
  const storedHead = await findStreamHead(db, stream);
  const events = await db.selectFrom('audit_events').selectAll().where('stream', '=', stream).orderBy('seq').execute();
  if (!storedHead && events.length === 0) throw new AppError('NOT_FOUND', `No audit stream "${stream}"`);
  const head = storedHead ?? { seq: 0, hash: GENESIS_HASH };
  const broken = (checked: number, seq: number, reason: string): ChainVerification => ({
    stream,
    ok: false,
    checked,
    head,
    broken: { seq, reason },
  });
  const where = isUuid(stream) ? "the item's row" : 'audit_heads';
  if (!storedHead) return broken(0, 1, `the stream has events but no recorded head (${where})`);
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const e of events) {
    if (e.seq !== expectedSeq)
      return broken(expectedSeq - 1, e.seq, `expected event ${expectedSeq}, found ${e.seq} (an event is missing)`);
    if (e.seq > head.seq)
      return broken(
        expectedSeq - 1,
        e.seq,
        `event ${e.seq} is past the head recorded in ${where} (event ${head.seq}): it was not appended through the chain`,
      );
    if (e.prev_hash !== prev) return broken(expectedSeq - 1, e.seq, 'previous-hash link does not match');
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
    if (recomputed !== e.hash) return broken(expectedSeq - 1, e.seq, 'content does not match its hash (edited)');
    prev = e.hash;
    expectedSeq++;
  }
  const last = expectedSeq - 1;
  if (last < head.seq)
    return broken(
      last,
      last + 1,
      last + 1 === head.seq
        ? `the chain ends at event ${last} but the head recorded in ${where} is event ${head.seq}: the last event is missing`
        : `the chain ends at event ${last} but the head recorded in ${where} is event ${head.seq}: events ${last + 1} to ${head.seq} are missing`,
    );
  if (prev !== head.hash) return broken(last, last, `event ${last} does not hash to the head recorded in ${where}`);
  return { stream, ok: true, checked: last, head };
}

/** The recorded head of a stream: on the item's row for an item's stream, else in `audit_heads`. */
async function findStreamHead(
  db: Kysely<DB> | Transaction<DB>,
  stream: string,
): Promise<{ seq: number; hash: string } | undefined> {
  if (isUuid(stream)) {
    const item = await db
      .selectFrom('items')
      .select(['audit_seq as seq', 'audit_hash as hash'])
      .where('id', '=', stream)
      .executeTakeFirst();
    if (item) return item;
  }
  return db.selectFrom('audit_heads').select(['seq', 'hash']).where('stream', '=', stream).executeTakeFirst();
}
