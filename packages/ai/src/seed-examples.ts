import type { DB } from '@signoff/db';
import type { Kysely, Transaction } from 'kysely';
import type { LabelledExample } from './text-classifier';

/**
 * Adds examples an agent's built-in model starts from (before any human label exists). An example
 * whose text the agent already has is left as it is: examples are unique per agent by the SHA-256
 * of their text (`seed_examples.text_hash`, computed by PostgreSQL), so a text of any length can be
 * stored, and running a seed again adds nothing. Returns how many examples were new.
 *
 * @example
 * await addSeedExamples(db, 'refunds', [{ text: 'I want my money back', label: 'refund' }]); // 1
 * await addSeedExamples(db, 'refunds', [{ text: 'I want my money back', label: 'refund' }]); // 0
 */
export async function addSeedExamples(
  db: Kysely<DB> | Transaction<DB>,
  agent: string,
  examples: readonly LabelledExample[],
): Promise<number> {
  if (examples.length === 0) return 0;
  const added = await db
    .insertInto('seed_examples')
    .values(examples.map((e) => ({ agent, text: e.text, label: e.label })))
    .onConflict((oc) => oc.columns(['agent', 'text_hash']).doNothing())
    .returning('id')
    .execute();
  return added.length;
}
