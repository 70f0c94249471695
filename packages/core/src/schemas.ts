// Schemas shared by the server and the console. No I/O and no Node built-ins: the console bundles this file.
import { z } from 'zod';
import { findUnsafeText } from './text-safety';

export const ROLES = ['reviewer', 'compliance', 'data_scientist', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Every permission an API procedure can require. `session` means any signed-in user; `public`
 * means no sign-in (only login and health).
 */
export const PERMISSIONS = [
  'public',
  'session',
  'task:work',
  'queue:read',
  'item:read',
  'audit:read',
  'label:export',
  'item:submit',
  'metrics:read',
  'model:train',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  reviewer: ['session', 'task:work', 'queue:read', 'item:read'],
  compliance: ['session', 'queue:read', 'item:read', 'audit:read', 'metrics:read'],
  data_scientist: ['session', 'item:read', 'label:export', 'metrics:read', 'model:train'],
  // Admins may do everything a signed-in user can be allowed to.
  admin: PERMISSIONS.filter((p) => p !== 'public'),
};

export function roleHas(role: Role, permission: Permission): boolean {
  return permission === 'public' || ROLE_PERMISSIONS[role].includes(permission);
}

export const loginInput = z.object({
  email: z.email('Enter a valid email address'),
  password: z.string().min(1, 'Enter your password'),
});
export type LoginInput = z.infer<typeof loginInput>;

export const uuid = z.uuid('Expected a UUID');

export const claimNextInput = z.object({ queue: z.string().min(1).optional() });

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
    /** Why the reviewer overrode the AI; required to correct. */
    reason: z.string().trim().max(2000).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.verdict !== 'confirm' && !v.label)
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

export const itemListInput = z.object({
  status: z.enum(ITEM_STATUSES).optional(),
  workflow: z.string().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

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
  method: z.enum(['isotonic', 'platt']).default('isotonic'),
  minLabels: z.number().int().min(20).max(1_000_000).default(50),
});
