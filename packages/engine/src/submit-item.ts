import { AppError, toFieldIssues } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import type { Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { enqueueStep } from './queue';
import type { WorkflowRegistry } from './registry';

export interface SubmitItemInput {
  workflow: string;
  input: unknown;
  idempotencyKey?: string | undefined;
}

export interface SubmittedItem {
  id: string;
  workflow: string;
  version: number;
  /** False when the idempotency key matched an item submitted before: nothing new was created. */
  created: boolean;
}

/**
 * Validates an item's input against its workflow's schema and starts it on the workflow's latest
 * version: the item, its audit event and its first job are written in the caller's transaction.
 * A repeated idempotency key returns the existing item instead of creating a second one.
 *
 * @example
 * const item = await db.transaction().execute((trx) =>
 *   submitItem(trx, { registry, boss }, { workflow: 'support-triage', input, idempotencyKey: 'ticket-1' }, actor));
 */
export async function submitItem(
  trx: Transaction<DB>,
  deps: { registry: WorkflowRegistry; boss: PgBoss },
  submission: SubmitItemInput,
  actor: Actor,
): Promise<SubmittedItem> {
  const wf = deps.registry.getLatest(submission.workflow);
  const parsed = wf.definition.input.safeParse(submission.input);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues, 'input');
    throw new AppError(
      'BAD_INPUT',
      `Input does not match workflow "${wf.definition.name}": ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  const start = wf.definition.start;
  const key = submission.idempotencyKey ?? null;
  const inserted = await trx
    .insertInto('items')
    .values({
      workflow_name: wf.definition.name,
      workflow_version_id: wf.versionId,
      idempotency_key: key,
      input: JSON.stringify(parsed.data),
      status: 'running',
      current_state: start,
      visits: JSON.stringify({ [start]: 1 }),
    })
    .onConflict((oc) =>
      oc.columns(['workflow_name', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
    )
    .returning(['id'])
    .executeTakeFirst();
  if (!inserted) {
    const existing = await trx
      .selectFrom('items')
      .innerJoin('workflow_versions as v', 'v.id', 'items.workflow_version_id')
      .select(['items.id', 'v.version'])
      .where('items.workflow_name', '=', wf.definition.name)
      .where('items.idempotency_key', '=', key)
      .executeTakeFirstOrThrow();
    return { id: existing.id, workflow: wf.definition.name, version: existing.version, created: false };
  }
  await appendAudit(trx, {
    itemId: inserted.id,
    actor,
    action: 'item.submitted',
    data: { workflow: wf.definition.name, version: wf.version, versionId: wf.versionId, idempotencyKey: key, start },
  });
  await enqueueStep(trx, deps.boss, { itemId: inserted.id, state: start, visit: 1 });
  return { id: inserted.id, workflow: wf.definition.name, version: wf.version, created: true };
}
