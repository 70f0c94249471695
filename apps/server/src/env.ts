import { aiEnvShape } from '@signoff/ai';
import { retentionEnvShape } from '@signoff/governance';
import { z } from 'zod';
import { DEFAULT_TRPC_MAX_BODY_BYTES } from './ingest-schema';

/** A variable set to nothing counts as not set (`VAR= signoff ...`). */
const unsetWhenEmpty = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** Every environment variable the server reads, validated once. */
export const serverEnv = z.object({
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgres:// URL').optional(),
  SIGNOFF_DATA_DIR: z.string().default('.signoff'),
  /** Tries to restart the embedded PostgreSQL after it died, before the server exits with code 1. */
  SIGNOFF_EMBEDDED_PG_RESTART_TRIES: z.coerce.number().int().min(1).max(1000).default(10),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL and the SIGNOFF_AI_* settings (packages/ai/README.md). */
  ...aiEnvShape,
  /** SIGNOFF_RETENTION_DAYS, SIGNOFF_RETENTION_MODE and SIGNOFF_RETENTION_SCHEDULE (docs/retention.md). */
  ...retentionEnvShape,
  /**
   * Personal data patterns masked besides e-mail, phone, card and IBAN: a JSON array of
   * `{"name": "member-id", "regex": "MBR-\\d{6}", "flags": "i"}` (docs/pii.md). A bad one stops the start, named.
   */
  SIGNOFF_PII_PATTERNS: z.string().optional(),
  /** A file holding the same JSON array. */
  SIGNOFF_PII_PATTERNS_FILE: z.string().optional(),
  /**
   * Who deploys (a person's e-mail, a pipeline's name): recorded with every workflow version this
   * process registers first, for the policy history (docs/policy-history.md).
   */
  SIGNOFF_DEPLOYED_BY: z
    .string()
    .trim()
    .min(1, 'SIGNOFF_DEPLOYED_BY must name who deploys, or be left unset')
    .max(200, 'SIGNOFF_DEPLOYED_BY must be at most 200 characters')
    .optional(),
  /** Comma-separated workflow modules to load (as `signoff start --workflows`). */
  SIGNOFF_WORKFLOWS: z.string().optional(),
  /** Seconds without a heartbeat before a step job's worker counts as dead (>= 10). */
  SIGNOFF_STEP_HEARTBEAT_SECONDS: z.coerce.number().int().min(10).max(3600).default(30),
  /** How often pg-boss looks for dead workers' jobs. */
  SIGNOFF_SUPERVISE_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  /** Step jobs fetched per poll. */
  SIGNOFF_WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
  /**
   * Test only: `POINT@N` kills this process with SIGKILL the N-th time a worker reaches the named
   * fault point (`after-effect` or `before-commit`), to prove crash safety at that exact instant.
   */
  SIGNOFF_TEST_CRASH_AT: z
    .string()
    .regex(/^(after-effect|before-commit)@\d+$/, 'expected POINT@N, e.g. before-commit@100')
    .optional(),
  SIGNOFF_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /**
   * How many reverse proxies stand in front of the API. 0 (the default): the client's address is
   * the socket's peer and X-Forwarded-For / X-Forwarded-Proto are ignored, since anyone can send
   * them. N: the address is the N-th entry from the right of X-Forwarded-For, and X-Forwarded-Proto
   * says whether the client used HTTPS (which makes the session cookie Secure).
   */
  SIGNOFF_TRUST_PROXY: z.coerce
    .number({ error: 'SIGNOFF_TRUST_PROXY must be the number of proxies in front (0 to trust none)' })
    .int()
    .min(0)
    .max(10)
    .default(0),
  /** Largest `/trpc` request body in bytes (larger ones answer 413); the console sends a few KB. */
  SIGNOFF_TRPC_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_TRPC_MAX_BODY_BYTES),
  /**
   * `/metrics` (Prometheus): `auto` (the default) serves it when SIGNOFF_METRICS_TOKEN is set or the
   * server listens on a loopback address only, and answers 404 otherwise, so that a server bound to
   * the network does not publish its numbers to anyone who asks; `on` serves it in any case (a
   * trusted network, e.g. a cluster with a network policy); `off` never does.
   */
  SIGNOFF_METRICS: z.enum(['auto', 'on', 'off'], { error: 'SIGNOFF_METRICS must be auto, on or off' }).default('auto'),
  /** When set, a scrape must send `Authorization: Bearer <this>` (at least 16 characters, no spaces). */
  SIGNOFF_METRICS_TOKEN: z
    .string()
    .regex(/^\S{16,}$/, 'SIGNOFF_METRICS_TOKEN must be at least 16 characters without spaces')
    .optional(),
  /**
   * Serve `/metrics` on a port of its own (on HOST) instead of the API's: for a process that runs
   * workers without the API, or to keep metrics off the API's port.
   */
  SIGNOFF_METRICS_PORT: z.coerce
    .number({ error: 'SIGNOFF_METRICS_PORT must be a port number' })
    .int('SIGNOFF_METRICS_PORT must be a port number')
    .min(0, 'SIGNOFF_METRICS_PORT must be a port number (0 to 65535)')
    .max(65535, 'SIGNOFF_METRICS_PORT must be a port number (0 to 65535)')
    .optional(),
  /** The Ed25519 private key (PKCS#8 PEM) that signs audit checkpoints and bundles (docs/audit.md). */
  SIGNOFF_AUDIT_SIGNING_KEY: unsetWhenEmpty,
  /** ...or the file holding it. Neither: `<SIGNOFF_DATA_DIR>/audit-signing-key.pem` if it exists (the demo's). */
  SIGNOFF_AUDIT_SIGNING_KEY_FILE: unsetWhenEmpty,
  /** When workers make a checkpoint of the audit log (cron, 5 fields, UTC); default every 5 minutes. */
  SIGNOFF_AUDIT_CHECKPOINT_CRON: z
    .string()
    .regex(/^\S+( \S+){4}$/, 'SIGNOFF_AUDIT_CHECKPOINT_CRON must be a cron expression of 5 fields, e.g. */5 * * * *')
    .default('*/5 * * * *'),
  /**
   * The database role the server works as once migrations (and pg-boss's schema) are in place
   * (`SET ROLE`; docs/security.md). `signoff_app` (the default) cannot change or remove audit rows;
   * `none` keeps the connecting user's own rights.
   */
  SIGNOFF_DATABASE_ROLE: z
    .string()
    .regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      'SIGNOFF_DATABASE_ROLE must be a role name (lowercase letters, digits, _) or none',
    )
    .default('signoff_app'),
});
export type ServerEnv = z.infer<typeof serverEnv>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): ServerEnv {
  const parsed = serverEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid environment:\n${lines}`);
  }
  return parsed.data;
}
