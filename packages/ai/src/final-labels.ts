import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';

/**
 * An agent's human labels as training examples: one per decision, its answer (two reviewers'
 * verdicts on one decision are not two examples, and a disagreement teaches nothing until a lead
 * settled it: `labels.final`; an adjudication outranks single verdicts, the latest wins), a label
 * with no decision an example of its own, oldest first. `structured` keeps only labels of
 * structured decisions (`changed_fields` set), whose `human_label` is the object's JSON.
 *
 * @example
 * const rows = await finalHumanLabels(db, 'refunds'); // [{ input_text, human_label }, ...]
 */
export async function finalHumanLabels(
  db: Kysely<DB> | Transaction<DB>,
  agent: string,
  options: { structured?: boolean } = {},
): Promise<{ input_text: string | null; human_label: string }[]> {
  return db
    .selectFrom((eb) => {
      let q = eb
        .selectFrom('labels')
        .distinctOn(sql`coalesce(decision_id, id)`)
        .select(['input_text', 'human_label', 'created_at', 'id'])
        .where('agent', '=', agent)
        .where('input_text', 'is not', null)
        .where('final', '=', true);
      if (options.structured) q = q.where('changed_fields', 'is not', null);
      return q
        .orderBy(sql`coalesce(decision_id, id)`)
        .orderBy('adjudicated', 'desc')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .as('x');
    })
    .select(['input_text', 'human_label'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
