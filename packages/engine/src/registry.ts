import { createHash } from 'node:crypto';
import { AppError, canonicalJson, diffPolicies, serializeWorkflow, type WorkflowDefinition } from '@signoff/core';
import type { DB } from '@signoff/db';
import {
  type Actor,
  appendAudit,
  compilePiiPatterns,
  declareRetention,
  setActivePiiPatterns,
} from '@signoff/governance';
import { declarePolicies } from '@signoff/trust';
import { type Kysely, sql } from 'kysely';

export interface RegisteredWorkflow {
  definition: WorkflowDefinition;
  versionId: string;
  version: number;
  hash: string;
}

/** The content hash that identifies a workflow version. */
export function workflowHash(def: WorkflowDefinition): string {
  return createHash('sha256')
    .update(canonicalJson(serializeWorkflow(def)))
    .digest('hex');
}

export interface RegistryOptions {
  /**
   * Who deploys the workflows this process registers (`SIGNOFF_DEPLOYED_BY`: a person's e-mail, a
   * pipeline's name). Recorded with each new version, with its change note, for the policy history.
   */
  deployedBy?: string | null | undefined;
}

/**
 * The workflows this process can run. Registering stores the definition; a changed definition
 * becomes a new version, and items keep running on the version they started with. A new version
 * is audited (`workflow.registered`) with its change note, its deployer and its policy changes
 * against the version before (`diffPolicies`).
 *
 * @example
 * const registry = new WorkflowRegistry();
 * await registry.register(db, supportTriage);
 * registry.latest('support-triage')?.version; // 1
 */
export class WorkflowRegistry {
  private readonly byName = new Map<string, RegisteredWorkflow>();
  private readonly byVersion = new Map<string, RegisteredWorkflow>();
  private readonly deployedBy: string | null;

  constructor(options: RegistryOptions = {}) {
    this.deployedBy = options.deployedBy?.trim() || null;
  }

  /** The actor of this process's registrations: the deployment, named when `deployedBy` was given. */
  private get deployer(): Actor {
    return { type: 'system', id: this.deployedBy ? `deploy:${this.deployedBy}` : 'deploy' };
  }

  async register(db: Kysely<DB>, definition: WorkflowDefinition): Promise<RegisteredWorkflow & { created: boolean }> {
    const hash = workflowHash(definition);
    const { row, created } = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`workflow:${definition.name}`}, 727))`.execute(trx);
      const existing = await trx
        .selectFrom('workflow_versions')
        .select(['id', 'version'])
        .where('name', '=', definition.name)
        .where('hash', '=', hash)
        .executeTakeFirst();
      const { max } = await trx
        .selectFrom('workflow_versions')
        .select((eb) => eb.fn.max<number>('version').as('max'))
        .where('name', '=', definition.name)
        .executeTakeFirstOrThrow();
      if (existing) {
        // Only the newest version declares its certified targets: registering an old version next
        // to it (for items still on it) must not change what is in force.
        if (existing.version === max) {
          await declarePolicies(trx, definition, this.deployer);
          await declareRetention(trx, definition.name, definition.retention);
        }
        return { row: existing, created: false };
      }
      const previous = await trx
        .selectFrom('workflow_versions')
        .select('definition')
        .where('name', '=', definition.name)
        .where('version', '=', max ?? 0)
        .executeTakeFirst();
      const serialized = serializeWorkflow(definition);
      const changeNote = definition.changeNote?.trim() || null;
      const inserted = await trx
        .insertInto('workflow_versions')
        .values({
          name: definition.name,
          version: (max ?? 0) + 1,
          hash,
          definition: JSON.stringify(serialized),
          change_note: changeNote,
          registered_by: this.deployedBy,
        })
        .returning(['id', 'version'])
        .executeTakeFirstOrThrow();
      await appendAudit(trx, {
        actor: this.deployer,
        action: 'workflow.registered',
        data: {
          workflow: definition.name,
          version: inserted.version,
          versionId: inserted.id,
          hash,
          changeNote,
          deployedBy: this.deployedBy,
          policyChanges: diffPolicies(previous?.definition ?? null, serialized),
        },
      });
      await declarePolicies(trx, definition, this.deployer);
      await declareRetention(trx, definition.name, definition.retention);
      return { row: inserted, created: true };
    });
    // Its PII patterns join the process's: every answer and export masks them (docs/pii.md).
    setActivePiiPatterns(
      `workflow:${definition.name}:${hash}`,
      compilePiiPatterns(definition.pii?.patterns ?? [], `workflow "${definition.name}"`),
    );
    const entry: RegisteredWorkflow = { definition, versionId: row.id, version: row.version, hash };
    this.byVersion.set(row.id, entry);
    const current = this.byName.get(definition.name);
    if (!current || current.version <= row.version) this.byName.set(definition.name, entry);
    return { ...entry, created };
  }

  /** The newest registered version of a workflow, which new items start on. */
  latest(name: string): RegisteredWorkflow | undefined {
    return this.byName.get(name);
  }

  getLatest(name: string): RegisteredWorkflow {
    const w = this.latest(name);
    if (!w) {
      const known = [...this.byName.keys()].join(', ') || 'none';
      throw new AppError('NOT_FOUND', `Unknown workflow "${name}" (registered: ${known})`);
    }
    return w;
  }

  byVersionId(versionId: string): RegisteredWorkflow | undefined {
    return this.byVersion.get(versionId);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
