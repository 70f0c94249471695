import type { ItemStatus, itemListInput } from '@signoff/core';
import type { DB } from '@signoff/db';
import {
  afterCursor,
  allOf,
  decisionMatch,
  encodeCursor,
  equalsIfGiven,
  FINAL_LABEL,
  inWindow,
  keysetTime,
} from '@signoff/governance';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { z } from 'zod';

export interface ItemListRow {
  id: string;
  workflow_name: string;
  workflow_version: number;
  status: ItemStatus;
  current_state: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ItemListPage {
  items: ItemListRow[];
  /** Pass it back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * A page of items, newest first (`created_at DESC, id DESC`), after `cursor`: created in
 * `[from, to)`, of a workflow, with a status, at a current state; with `routes`, `overridden` or a
 * confidence range, only items with at least one decision matching all of them (the same meanings
 * as in decision search).
 *
 * @example
 * const first = await listItems(db, itemListInput.parse({ status: 'waiting', limit: 50 }));
 * const second = await listItems(db, itemListInput.parse({ status: 'waiting', cursor: first.nextCursor }));
 */
export async function listItems(
  db: Kysely<DB> | Transaction<DB>,
  f: z.output<typeof itemListInput>,
): Promise<ItemListPage> {
  const match = decisionMatch(f);
  const { rows } = await sql<ItemListRow & { at: string }>`
    SELECT i.id, i.workflow_name, v.version AS workflow_version, i.status, i.current_state,
           i.created_at, i.updated_at, ${keysetTime('i.created_at')} AS at
      FROM items i
      JOIN workflow_versions v ON v.id = i.workflow_version_id
     WHERE ${allOf([
       inWindow('i.created_at', f.from, f.to),
       equalsIfGiven('i.workflow_name', f.workflow),
       equalsIfGiven('i.status', f.status),
       equalsIfGiven('i.current_state', f.state),
       match.length === 0
         ? undefined
         : sql`EXISTS (SELECT 1 FROM decisions d LEFT JOIN ${FINAL_LABEL} ON true
                        WHERE d.item_id = i.id AND ${allOf(match)})`,
       afterCursor('i.created_at', 'i.id', f.cursor),
     ])}
     ORDER BY i.created_at DESC, i.id DESC
     LIMIT ${f.limit + 1}`.execute(db);
  const more = rows.length > f.limit;
  const shown = more ? rows.slice(0, f.limit) : rows;
  const last = shown.at(-1);
  return {
    items: shown.map(({ at: _at, ...row }) => row),
    nextCursor: more && last ? encodeCursor({ at: last.at, id: last.id }) : null,
  };
}
