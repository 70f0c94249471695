import { AppError, type FieldIssue, toFieldIssues } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Actor } from '@signoff/governance';
import type { Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { v7 as uuidv7 } from 'uuid';
import type { Plan } from './plan-types';
import { writePlans } from './plan-writer';
import { planSubmission } from './planner';
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

/** What became of one submission of a bulk submit, in the order given. */
export type SubmissionResult =
  | ({ ok: true } & SubmittedItem)
  | { ok: false; error: { code: 'BAD_INPUT' | 'NOT_FOUND'; message: string; issues?: FieldIssue[] } };

/**
 * Submits many items in the caller's transaction with one multi-row statement per table: the
 * items, their first audit events and their first jobs. Each submission is validated against its
 * workflow's schema first; an invalid one creates nothing and never stops the others. A repeated
 * idempotency key (in this batch, in an earlier one, or in a concurrent one) gives the existing
 * item. Concurrent batches that share keys take their index entries in one order (sorted by
 * workflow and key), so they wait for each other instead of deadlocking.
 *
 * @example
 * const results = await db.transaction().execute((trx) =>
 *   submitItems(trx, { registry, boss }, [{ workflow: 'support-triage', input, idempotencyKey: 'ticket-1' }], actor));
 */
export async function submitItems(
  trx: Transaction<DB>,
  deps: { registry: WorkflowRegistry; boss: PgBoss },
  submissions: readonly SubmitItemInput[],
  actor: Actor,
): Promise<SubmissionResult[]> {
  const results: SubmissionResult[] = new Array(submissions.length);
  const env = { now: new Date(), newId: uuidv7, random: Math.random };
  const planned: { index: number; plan: Plan; workflow: string; version: number; key: string | null }[] = [];
  /** The first submission of each (workflow, key): later ones in this batch repeat it. */
  const firstOfKey = new Map<string, number>();
  const repeats: { index: number; of: number }[] = [];
  submissions.forEach((s, index) => {
    const wf = deps.registry.latest(s.workflow);
    if (!wf) {
      const known = deps.registry.names().join(', ') || 'none';
      results[index] = {
        ok: false,
        error: { code: 'NOT_FOUND', message: `Unknown workflow "${s.workflow}" (registered: ${known})` },
      };
      return;
    }
    const parsed = wf.definition.input.safeParse(s.input);
    if (!parsed.success) {
      const issues = toFieldIssues(parsed.error.issues, 'input');
      results[index] = {
        ok: false,
        error: {
          code: 'BAD_INPUT',
          message: `Input does not match workflow "${wf.definition.name}": ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          issues,
        },
      };
      return;
    }
    const key = s.idempotencyKey ?? null;
    if (key !== null) {
      const k = keyOf(wf.definition.name, key);
      const first = firstOfKey.get(k);
      if (first !== undefined) {
        repeats.push({ index, of: first });
        return;
      }
      firstOfKey.set(k, index);
    }
    planned.push({
      index,
      workflow: wf.definition.name,
      version: wf.version,
      key,
      plan: planSubmission({ workflow: wf, input: parsed.data, idempotencyKey: key, actor }, env),
    });
  });
  planned.sort((a, b) => compare(keyOf(a.workflow, a.key ?? ''), keyOf(b.workflow, b.key ?? '')));
  const { existing } = await writePlans(
    trx,
    deps.boss,
    planned.map((p) => p.plan),
  );
  const found =
    existing.size > 0
      ? await findExisting(
          trx,
          planned.filter((p) => existing.has(p.plan.itemId)),
        )
      : [];
  const byKey = new Map(found.map((f) => [keyOf(f.workflow_name, f.idempotency_key), f]));
  for (const p of planned) {
    if (!existing.has(p.plan.itemId)) {
      results[p.index] = { ok: true, id: p.plan.itemId, workflow: p.workflow, version: p.version, created: true };
      continue;
    }
    const f = byKey.get(keyOf(p.workflow, p.key ?? ''));
    if (!f) throw new AppError('INTERNAL', `Item with idempotency key "${p.key}" was neither created nor found`);
    results[p.index] = { ok: true, id: f.id, workflow: p.workflow, version: f.version, created: false };
  }
  for (const r of repeats) {
    const first = results[r.of] as Extract<SubmissionResult, { ok: true }>;
    results[r.index] = { ...first, created: false };
  }
  return results;
}

/**
 * Validates an item's input against its workflow's schema and starts it on the workflow's latest
 * version, in the caller's transaction (`submitItems` for one item). A repeated idempotency key
 * returns the existing item instead of creating a second one; invalid input throws `BAD_INPUT`.
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
  const [r] = await submitItems(trx, deps, [submission], actor);
  if (!r) throw new AppError('INTERNAL', 'No result for the submission');
  if (!r.ok) throw new AppError(r.error.code, r.error.message, r.error.issues ? { issues: r.error.issues } : {});
  const { ok: _ok, ...item } = r;
  return item;
}

function keyOf(workflow: string, key: string | null): string {
  return `${workflow}\u0000${key ?? ''}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function findExisting(trx: Transaction<DB>, plans: readonly { workflow: string; key: string | null }[]) {
  return trx
    .selectFrom('items')
    .innerJoin('workflow_versions as v', 'v.id', 'items.workflow_version_id')
    .select(['items.id', 'items.workflow_name', 'items.idempotency_key', 'v.version'])
    .where((eb) =>
      eb.or(
        plans.map((p) =>
          eb.and([eb('items.workflow_name', '=', p.workflow), eb('items.idempotency_key', '=', p.key as string)]),
        ),
      ),
    )
    .execute();
}
