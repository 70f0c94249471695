import type { DB } from '@signoff/db';
import type { WorkflowRegistry } from '@signoff/engine';
import { findSessionUser, type SessionUser } from '@signoff/governance';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';

/** What every procedure can reach: the database, the job queue (to resume workflows) and the workflows. */
export interface ApiDeps {
  db: Kysely<DB>;
  boss: PgBoss;
  registry: WorkflowRegistry;
}

export interface Context extends ApiDeps {
  user: SessionUser | null;
  token: string | null;
}

/** The context without HTTP: tests build it directly and call procedures through `createCaller`. */
export async function createContextInner(deps: ApiDeps, token: string | null): Promise<Context> {
  const user = token ? ((await findSessionUser(deps.db, token)) ?? null) : null;
  return { ...deps, user, token };
}

/** Reads `Authorization: Bearer <token>` from a request. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1] ?? null;
}
