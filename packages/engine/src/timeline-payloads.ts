// The payloads an item's audit events stand for, read from their tables. Since migration 0029 an
// event records a digest of each payload (a state's output, the input, an event's payload, a
// reviewer's reason) and the payload stays in its table, where retention may purge it; the
// timeline shows the table's value next to the event and says whether it still matches the digest.
import type { DB } from '@signoff/db';
import { payloadHash } from '@signoff/governance';
import type { Kysely } from 'kysely';

/** What the table holds for an event's digest: the value, and whether it still hashes to it. */
export interface EventPayload {
  /** The event's field with the digest, e.g. `outputHash`. */
  field: string;
  value: unknown;
  /** `matches`: the table's value hashes to the digest; `purged`: retention removed it; `differs`: neither. */
  status: 'matches' | 'purged' | 'differs';
}

type Data = Record<string, unknown>;

interface ItemTables {
  purged: boolean;
  input: unknown;
  runs: Map<string, unknown>;
  branches: Map<string, unknown>;
  reviews: Map<string, string | null>;
  reviewsByTask: Map<string, string | null>;
  labels: Map<string, string | null>;
  decisions: Map<string, Record<string, unknown>>;
  events: Map<string, unknown>;
}

const key = (...parts: unknown[]) => parts.map(String).join('\u0000');

async function readTables(db: Kysely<DB>, itemId: string): Promise<ItemTables> {
  const [item, runs, branches, reviews, labels, decisions, events] = await Promise.all([
    db.selectFrom('items').select(['input', 'purged_at']).where('id', '=', itemId).executeTakeFirst(),
    // A parallel state's run holds its branches' outputs, its event only their names (the outputs
    // are proven by each branch.completed): nothing in a table to compare the event with.
    db
      .selectFrom('state_runs')
      .select(['state', 'visit', 'output'])
      .where('item_id', '=', itemId)
      .where('kind', '<>', 'parallel')
      .execute(),
    db.selectFrom('branch_runs').select(['state', 'visit', 'branch', 'output']).where('item_id', '=', itemId).execute(),
    db
      .selectFrom('reviews as r')
      .innerJoin('review_tasks as t', 't.id', 'r.task_id')
      .select(['r.id', 'r.task_id', 'r.reason'])
      .where('t.item_id', '=', itemId)
      .execute(),
    db.selectFrom('labels').select(['id', 'reason']).where('item_id', '=', itemId).execute(),
    db.selectFrom('decisions').select(['id', 'output']).where('item_id', '=', itemId).execute(),
    db
      .selectFrom('event_waits as w')
      .innerJoin('events as e', 'e.id', 'w.event_id')
      .select(['e.id', 'e.payload'])
      .where('w.item_id', '=', itemId)
      .execute(),
  ]);
  return {
    purged: !!item?.purged_at,
    input: item?.input ?? null,
    runs: new Map(runs.map((r) => [key(r.state, r.visit), r.output])),
    branches: new Map(branches.map((b) => [key(b.state, b.visit, b.branch), b.output])),
    reviews: new Map(reviews.map((r) => [r.id, r.reason])),
    reviewsByTask: new Map(reviews.map((r) => [r.task_id, r.reason])),
    labels: new Map(labels.map((l) => [l.id, l.reason])),
    decisions: new Map(decisions.map((d) => [d.id, d.output as Record<string, unknown>])),
    events: new Map(events.map((e) => [e.id, e.payload])),
  };
}

/** The table value behind each digest field of one event, where there is one. */
function lookups(action: string, d: Data, t: ItemTables): [field: string, value: unknown][] {
  const out: [string, unknown][] = [];
  const has = <K>(m: Map<K, unknown>, k: K, field: string) => {
    if (typeof d[field] === 'string' && m.has(k)) out.push([field, m.get(k)]);
  };
  if (action === 'item.submitted' && typeof d.inputHash === 'string') out.push(['inputHash', t.input]);
  if (action === 'state.completed' || action === 'item.finished') has(t.runs, key(d.state, d.visit ?? 1), 'outputHash');
  if (action === 'branch.completed') has(t.branches, key(d.state, d.visit, d.branch), 'outputHash');
  if (action === 'event.received') has(t.events, d.eventId, 'payloadHash');
  if (action === 'review.submitted') has(t.reviews, d.reviewId, 'reasonHash');
  if (action === 'review.adjudicated') has(t.reviewsByTask, d.taskId, 'reasonHash');
  if (action === 'label.adjudicated') has(t.labels, d.labelId, 'reasonHash');
  if (action === 'decision.made') {
    const output = t.decisions.get(String(d.decisionId));
    if (output && typeof d.checkerHash === 'string') out.push(['checkerHash', output.checker ?? null]);
    if (output && typeof d.toolCallsHash === 'string') out.push(['toolCallsHash', output.toolCalls ?? null]);
  }
  return out;
}

/**
 * Each event with the payloads its digests stand for, from their tables. A state's output is
 * compared where the event names the visit (events since 0029): `item.finished` takes the final
 * state's run of the visit the item ended on.
 */
export async function withPayloads<E extends { action: string; data: unknown }>(
  db: Kysely<DB>,
  itemId: string,
  events: E[],
): Promise<(E & { payloads: EventPayload[] })[]> {
  const tables = await readTables(db, itemId);
  const finalVisit = new Map<string, number>();
  for (const e of events) {
    const d = (e.data ?? {}) as Data;
    if (e.action === 'state.completed' && typeof d.next === 'string' && typeof d.nextVisit === 'number')
      finalVisit.set(d.next, d.nextVisit);
  }
  return events.map((e) => {
    const raw = (e.data ?? {}) as Data;
    const d = e.action === 'item.finished' ? { ...raw, visit: finalVisit.get(String(raw.state)) ?? 1 } : raw;
    const payloads = lookups(e.action, d, tables).map(([field, value]): EventPayload => {
      const matches = payloadHash(value) === d[field];
      return { field, value, status: matches ? 'matches' : tables.purged ? 'purged' : 'differs' };
    });
    return { ...e, payloads };
  });
}
