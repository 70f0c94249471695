// Labelled examples supplied by a user: validated one by one, stored as an agent's seed examples.
import { findUnsafeText } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { addSeedExamples } from './seed-examples';

/** One labelled example as a user supplies it. */
export const labelledExample = z.object({
  text: z.string().trim().min(1, 'Give the text the agent reads').max(200_000, 'At most 200,000 characters'),
  label: z.string().trim().min(1, 'Give its label').max(200, 'At most 200 characters'),
});

/** Examples stored per statement. */
const BATCH = 500;

export interface ImportResult {
  agent: string;
  /** Examples read (valid or not). */
  read: number;
  /** New examples stored. */
  added: number;
  /** Valid examples whose text the agent already had (kept as they were). */
  duplicates: number;
  /** Examples refused, with their line (1-based) and why; nothing of them is stored. */
  invalid: { line: number; message: string }[];
  labels: Record<string, number>;
}

/**
 * Imports labelled examples for an agent: each `{ text, label }` is checked on its own (an invalid
 * one is reported with its line and never stops the others), valid ones are stored as seed
 * examples (a text the agent already has is left as it is), and the import is audited on the
 * `config` stream with its counts. `lines` are raw JSON texts or already-parsed values.
 *
 * @example
 * const r = await importExamples(db, 'refunds', lines, actor);
 * console.log(`${r.added} added, ${r.duplicates} already there, ${r.invalid.length} refused`);
 */
export async function importExamples(
  db: Kysely<DB>,
  agent: string,
  lines: AsyncIterable<string | unknown> | Iterable<string | unknown>,
  actor: Actor,
): Promise<ImportResult> {
  const result: ImportResult = { agent, read: 0, added: 0, duplicates: 0, invalid: [], labels: {} };
  let batch: { text: string; label: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const added = await addSeedExamples(db, agent, batch);
    result.added += added;
    result.duplicates += batch.length - added;
    batch = [];
  };
  let line = 0;
  for await (const raw of lines) {
    line++;
    // Blank lines are neither examples nor errors; line numbers still count them.
    if (typeof raw === 'string' && raw.trim() === '') continue;
    result.read++;
    let value: unknown = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch (e) {
        result.invalid.push({ line, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` });
        continue;
      }
    }
    const unsafe = findUnsafeText(value);
    if (unsafe) {
      result.invalid.push({ line, message: `${unsafe.path || '(root)'}: ${unsafe.message}` });
      continue;
    }
    const parsed = labelledExample.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      result.invalid.push({ line, message: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` });
      continue;
    }
    batch.push(parsed.data);
    result.labels[parsed.data.label] = (result.labels[parsed.data.label] ?? 0) + 1;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await db.transaction().execute((trx) =>
    appendAudit(trx, {
      actor,
      action: 'examples.imported',
      data: {
        agent,
        read: result.read,
        added: result.added,
        duplicates: result.duplicates,
        invalid: result.invalid.length,
        labels: result.labels,
      },
    }),
  );
  return result;
}
