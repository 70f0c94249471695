import type { ModelCapabilities } from '@signoff/ai';
import type { RetentionSetting } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { WorkflowRegistry } from '@signoff/engine';
import { type AuditSigner, findSessionUser, type SessionUser } from '@signoff/governance';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';

/** What every procedure can reach: the database, the job queue (to resume workflows) and the workflows. */
export interface ApiDeps {
  db: Kysely<DB>;
  boss: PgBoss;
  registry: WorkflowRegistry;
  /**
   * Probes the OpenAI-compatible endpoint the server is configured with (`models.probe`); absent
   * when none is (no OPENAI_API_KEY).
   */
  probeModel?: (model: string | undefined) => Promise<ModelCapabilities>;
  /** The server's default retention (SIGNOFF_RETENTION_DAYS) for workflows without their own; none: kept. */
  retentionDefault?: RetentionSetting | null;
  /** The key that signs audit checkpoints and bundles (docs/audit.md); absent or null when none is configured. */
  auditSigner?: AuditSigner | null;
}

/** How `auth.login` and `auth.logout` hand the session to a browser: cookies on the HTTP answer. */
export interface SessionCookieJar {
  /** Sets the HttpOnly session cookie and the readable CSRF cookie, both for `maxAgeSeconds`. */
  issue(token: string, maxAgeSeconds: number): void;
  clear(): void;
}

export interface Context extends ApiDeps {
  user: SessionUser | null;
  token: string | null;
  /** The caller's network address, for sign-in throttling; absent without HTTP. */
  clientAddress?: string | null;
  /** Present over HTTP (see `createHttpContext`). */
  cookies?: SessionCookieJar;
  /** Set when a session cookie came without its CSRF proof: the call is refused, not anonymous. */
  refusal?: 'csrf';
}

/** The context without HTTP: tests build it directly and call procedures through `createCaller`. */
export async function createContextInner(
  deps: ApiDeps,
  token: string | null,
  http: Pick<Context, 'clientAddress' | 'cookies' | 'refusal'> = {},
): Promise<Context> {
  const user = token ? ((await findSessionUser(deps.db, token)) ?? null) : null;
  return { ...deps, ...http, user, token };
}

/** Reads `Authorization: Bearer <token>` from a request. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1] ?? null;
}
