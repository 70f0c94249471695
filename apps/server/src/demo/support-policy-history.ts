// The demo's policy history: support-triage as it was first deployed, before the threshold came down
// to 0.75 and refunds above REFUND_FOUR_EYES_USD got four eyes. `npm start` registers it first on a
// database that has never seen the workflow, so the policy history (/compliance/policies, `signoff
// policy history`) shows a real change with its note.
import { defineWorkflow, type WorkflowDefinition } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { WorkflowRegistry } from '@signoff/engine';
import type { Kysely } from 'kysely';
import { supportTriage } from './support-triage';

type Classify = (typeof supportTriage.states)['classify'] & { kind: 'decide' };

/** support-triage's first version: auto-accept at 0.8, and no four-eyes rule for large refunds. */
export function supportTriageFirstVersion(): WorkflowDefinition {
  const classify = supportTriage.states.classify as Classify;
  const { changeNote: _note, ...current } = supportTriage;
  return defineWorkflow({
    ...current,
    states: {
      ...supportTriage.states,
      classify: {
        ...classify,
        policy: {
          ...classify.policy,
          autoAcceptAt: 0.8,
          risks: (classify.policy.risks ?? []).filter((r) => r.name !== 'refund-four-eyes'),
        },
      },
    },
  });
}

/**
 * Registers support-triage's first version when the database has no version of it yet: the
 * current one, registered next, is then version 2 with its change note. Returns whether it did.
 */
export async function registerDemoPolicyHistory(db: Kysely<DB>, registry: WorkflowRegistry): Promise<boolean> {
  const known = await db
    .selectFrom('workflow_versions')
    .select('id')
    .where('name', '=', supportTriage.name)
    .executeTakeFirst();
  if (known) return false;
  await registry.register(db, supportTriageFirstVersion());
  return true;
}
