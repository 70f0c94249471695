// Schemas shared by the server and the console. No I/O and no Node built-ins: the console bundles this file.
import { z } from 'zod';
import { findUnsafeText } from './text-safety';

export const ROLES = ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every permission an API procedure can require. `session` means any signed-in user; `public`
 * means no sign-in (only login and health).
 */
export const PERMISSIONS = [
  'public',
  'session',
  'task:work',
  /**
   * Lead a queue one is a member of: reassign its tasks, see per-reviewer progress and overdue
   * escalations, and answer its adjudication tasks (multi-reviewer disagreements).
   */
  'task:lead',
  'queue:read',
  'item:read',
  'audit:read',
  'label:export',
  'item:submit',
  'metrics:read',
  'model:train',
  /** Create, change and disable users. */
  'user:admin',
  /** Create and revoke ingestion API keys. */
  'key:admin',
  /** Certify auto-accept thresholds, apply certificates, pause and resume auto-accept. */
  'policy:manage',
  /** Settle a decision's label by adjudication (it outranks single verdicts). */
  'label:adjudicate',
  /** Load labelled examples an agent's built-in model trains on. */
  'example:import',
  /** Operations dashboards: queue depth and age, review volume, throughput (reviewers and their leads). */
  'dashboard:operations',
  /** Model and process diagnostics: confusion matrix, reliability and ECE, time per state. */
  'dashboard:diagnostics',
  /** Reveal one masked field of one item (`pii.unmask`, audited). Nothing is ever shown unmasked otherwise. */
  'pii:read',
  /** Purge items' payloads past retention by hand (admins; the schedule needs no one). */
  'retention:purge',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  // Reviewers see items only through the tasks they hold (membership, and blind multi-review).
  reviewer: ['session', 'task:work', 'queue:read', 'dashboard:operations'],
  lead: ['session', 'task:work', 'task:lead', 'queue:read', 'item:read', 'dashboard:operations'],
  compliance: ['session', 'queue:read', 'item:read', 'audit:read', 'metrics:read', 'pii:read'],
  data_scientist: [
    'session',
    'item:read',
    'label:export',
    'metrics:read',
    'model:train',
    'policy:manage',
    'label:adjudicate',
    'example:import',
    'dashboard:operations',
    'dashboard:diagnostics',
  ],
  // Admins may do everything a signed-in user can be allowed to.
  admin: PERMISSIONS.filter((p) => p !== 'public'),
};

export function roleHas(role: Role, permission: Permission): boolean {
  return permission === 'public' || ROLE_PERMISSIONS[role].includes(permission);
}

/**
 * The console's session: an HttpOnly cookie (sent to /trpc only), and a readable CSRF cookie whose
 * value the console echoes in `CSRF_HEADER` on every call. See docs/security.md.
 */
export const SESSION_COOKIE = 'signoff_session';
export const CSRF_COOKIE = 'signoff_csrf';
export const CSRF_HEADER = 'x-signoff-csrf';

export const loginInput = z.object({
  email: z.email('Enter a valid email address'),
  password: z.string().min(1, 'Enter your password'),
  /**
   * `cookie` (the console's): the session travels in an HttpOnly cookie and the answer carries no
   * token. `bearer`: the answer carries the token, for programs that send `Authorization: Bearer`.
   */
  session: z.enum(['cookie', 'bearer']).default('cookie'),
});
export type LoginInput = z.infer<typeof loginInput>;

export const uuid = z.uuid('Expected a UUID');

/** Whether a string (an id typed on a command line, a stream name) is a UUID. */
export function isUuid(value: string): boolean {
  return uuid.safeParse(value).success;
}

export const roleInput = z.enum(ROLES, { error: () => `Unknown role: choose one of ${ROLES.join(', ')}` });

/** A password someone chooses (the sign-in form accepts any non-empty one). */
export const newPasswordInput = z
  .string()
  .min(12, 'A password needs at least 12 characters')
  .max(1024, 'A password may have at most 1024 characters');

export const createUserInput = z.object({
  email: z.email('Enter a valid email address').max(320),
  name: z.string().trim().min(1, 'Enter a name').max(200),
  role: roleInput,
  password: newPasswordInput,
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const updateUserInput = z
  .object({
    userId: uuid,
    name: z.string().trim().min(1, 'Enter a name').max(200).optional(),
    role: roleInput.optional(),
    password: newPasswordInput.optional(),
  })
  .refine((u) => u.name !== undefined || u.role !== undefined || u.password !== undefined, {
    message: 'Change at least one of name, role, password',
  });
export type UpdateUserInput = z.infer<typeof updateUserInput>;

export const userRef = z.object({ userId: uuid });

/** What an ingestion API key may do: submit items (`POST /api/v1/items`), send events (`POST /api/v1/events`). */
export const API_KEY_SCOPES = ['items:submit', 'events:send'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1, 'Name the key').max(200),
  scopes: z
    .array(z.enum(API_KEY_SCOPES, { error: () => `Unknown scope: choose from ${API_KEY_SCOPES.join(', ')}` }))
    .min(1, 'Give the key at least one scope')
    .default([...API_KEY_SCOPES]),
});

export const apiKeyRef = z.object({ keyId: uuid });

export const claimNextInput = z.object({ queue: z.string().min(1).optional() });

/** A reviewer hands the task they hold up to its escalation queue, saying why (optional). */
export const escalateTaskInput = z.object({
  taskId: uuid,
  reason: z.string().trim().max(2000, 'A reason may have at most 2,000 characters').optional(),
});
export type EscalateTaskInput = z.infer<typeof escalateTaskInput>;

/**
 * A reviewer's verdict. `confirm` accepts the AI's answer; `correct` replaces it and needs a reason;
 * `answer` is for review steps with no AI answer (the reviewer simply chooses).
 */
export const verdictInput = z
  .object({
    taskId: uuid,
    verdict: z.enum(['confirm', 'correct', 'answer']),
    /** The label the reviewer chose; required to correct or answer, ignored on confirm. */
    label: z.string().min(1).optional(),
    /**
     * A structured decision's record as the reviewer corrected (or filled in) it: checked against
     * the state's output schema; required to correct or answer one, ignored on confirm.
     */
    value: z.record(z.string(), z.unknown()).optional(),
    /** Why the reviewer overrode the AI; required to correct. */
    reason: z.string().trim().max(2000).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.verdict !== 'confirm' && !v.label && v.value === undefined)
      ctx.addIssue({ code: 'custom', path: ['label'], message: 'Choose a label' });
    if (v.verdict === 'correct' && (!v.reason || v.reason.length < 3))
      ctx.addIssue({
        code: 'custom',
        path: ['reason'],
        message: 'Say why you override the AI (at least 3 characters)',
      });
  });
export type VerdictInput = z.infer<typeof verdictInput>;

export const ITEM_STATUSES = ['running', 'waiting', 'succeeded', 'rejected', 'failed'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

// `itemListInput` (the items list's filters and pages) is in search-schemas.ts, with decision search's.

/**
 * `schema`, behind a check of the raw value for what PostgreSQL cannot store (a NUL character, an
 * unpaired surrogate) and for nesting deeper than `MAX_JSON_DEPTH`. Such a value is refused with
 * one issue at the offending path before `schema`, or anything else recursive, looks at it.
 *
 * @example
 * const body = storable(z.object({ name: z.string() }));
 * body.safeParse({ name: 'a\u0000' }).error?.issues[0]?.path; // ['name']
 */
export function storable<T extends z.ZodType>(schema: T) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      const problem = findUnsafeText(value);
      if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    })
    .pipe(schema);
}

/** Most calls the console's tRPC client puts in one batched request; the server refuses more. */
export const TRPC_MAX_BATCH_CALLS = 20;

/** Body of `POST /api/v1/items`, and of each item of a batch. */
export const itemSubmission = storable(
  z.object({
    workflow: z.string().min(1, 'Name the workflow'),
    input: z.unknown(),
    idempotencyKey: z.string().min(1).max(200).optional(),
  }),
);
export type ItemSubmission = z.infer<typeof itemSubmission>;

export const calibrateInput = z.object({
  agent: z.string().min(1, 'Name the agent'),
  modelVersion: z.string().min(1).optional(),
  /** With `modelVersion` and `promptVersion`, the calibration key; each defaults to the newest label's. */
  confidenceMethod: z.string().min(1).optional(),
  promptVersion: z.string().min(1).optional(),
  method: z.enum(['isotonic', 'platt']).default('isotonic'),
  minLabels: z.number().int().min(20).max(1_000_000).default(50),
});

/** A certified decide state: a workflow's name and the state's. */
export const stateRef = z.object({
  workflow: z.string().min(1, 'Name the workflow'),
  state: z.string().min(1, 'Name the decide state'),
});

/** A structured state's certified leaf field (dotted path, `policy.fields.<field>.autoAccept`); omitted for the state. */
export const certifiedFieldRef = z
  .string()
  .trim()
  .min(1, 'Name the field (a dotted leaf path such as vendor.taxId), or leave it out for the state')
  .max(300, 'At most 300 characters')
  .optional();

/** A certified state's policy, or one of its certified fields'. */
export const policyRef = stateRef.extend({ field: certifiedFieldRef });

/** Why a person changes policy: required, recorded in the policy history and the audit trail. */
export const policyReason = z
  .string({ error: 'Say why (at least 3 characters)' })
  .trim()
  .min(3, 'Say why (at least 3 characters)')
  .max(2000, 'At most 2,000 characters');

/**
 * `trust.certify`: certify a state's threshold on its fair labels; `apply` puts it in force, which
 * is a policy change and needs a `reason`.
 */
export const certifyInput = stateRef
  .extend({
    field: certifiedFieldRef,
    modelVersion: z.string().min(1).optional(),
    confidenceMethod: z.string().min(1).optional(),
    promptVersion: z.string().min(1).optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    apply: z.boolean().default(false),
    reason: policyReason.optional(),
  })
  .refine((c) => !c.apply || c.reason !== undefined, {
    path: ['reason'],
    message: 'Applying a certificate changes policy: say why (at least 3 characters)',
  });

/** `trust.applyCertificate`: a policy change, with its reason. */
export const applyCertificateInput = z.object({ certificateId: uuid, reason: policyReason });

export const accuracyInput = z.object({
  workflow: z.string().min(1).optional(),
  state: z.string().min(1).optional(),
  modelVersion: z.string().min(1).optional(),
  field: certifiedFieldRef,
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  confidence: z.number().gt(0.5, 'Confidence must be above 0.5').lt(1, 'Confidence must be below 1').default(0.95),
});

/** Pausing or resuming a state's auto-accept needs a reason, for the audit trail. */
export const policyChangeInput = policyRef.extend({ reason: policyReason });

/** `labels.adjudicate`: the settled answer to a decision, which outranks single verdicts. */
export const adjudicateInput = z.object({
  decisionId: uuid,
  label: z.string().min(1, 'Choose the label'),
  reason: z.string().trim().min(3, 'Say why (at least 3 characters)').max(2000),
});
export * from './dataset-schemas';
export * from './policy-history-schemas';
