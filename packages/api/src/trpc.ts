import {
  AppError,
  type AppErrorCode,
  findUnsafeText,
  isAppError,
  type Permission,
  roleHas,
  toFieldIssues,
} from '@signoff/core';
import { isDatabaseUnavailable } from '@signoff/db';
import { maskPii, maskPiiText } from '@signoff/governance';
import { initTRPC, TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import type { Context } from './context';

export interface Meta {
  /**
   * What a caller must be allowed to do (a list: any one of them). A procedure without one is
   * refused to everybody.
   */
  permission: Permission | readonly Permission[];
  /**
   * Output paths the PII masking leaves alone (see `maskOutput`): staff account data and secrets
   * the procedure exists to return (a user's own sign-in e-mail, a new API key), never item data.
   */
  unmasked?: readonly string[];
}

type TrpcCode = ConstructorParameters<typeof TRPCError>[0]['code'];

/** The one place domain error codes become transport statuses. */
export const ERROR_STATUS: Record<AppErrorCode, TrpcCode> = {
  BAD_INPUT: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  INVALID_WORKFLOW: 'BAD_REQUEST',
  AI_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  AI_INVALID_OUTPUT: 'BAD_GATEWAY',
  TIMEOUT: 'TIMEOUT',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  DATABASE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error, path }) {
      const cause = error.cause;
      // Thrown anywhere (the context's session lookup included), a lost database is a 503 to
      // retry, not a 500; the adapter's responseMeta adds Retry-After.
      if (isDatabaseUnavailable(cause))
        return {
          ...shape,
          code: TRPC_ERROR_CODES_BY_KEY.SERVICE_UNAVAILABLE,
          message: 'The database is unavailable; try again in a few seconds',
          data: {
            ...shape.data,
            code: 'SERVICE_UNAVAILABLE' as const,
            httpStatus: 503,
            appCode: 'DATABASE_UNAVAILABLE' as const,
            fieldErrors: null,
            stack: undefined,
          },
        };
      const fieldErrors =
        cause instanceof ZodError
          ? cause.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }))
          : isAppError(cause)
            ? (cause.issues ?? null)
            : null;
      return {
        ...shape,
        // Messages may quote what they refused; they are masked like answers, except those of the
        // account procedures, whose subject is a staff account the admin has just typed in.
        message: maskErrorMessage(
          path,
          cause instanceof ZodError
            ? `Invalid input: ${fieldErrors?.map((f) => `${f.path}: ${f.message}`).join('; ')}`
            : shape.message,
        ),
        data: { ...shape.data, appCode: isAppError(cause) ? cause.code : null, fieldErrors, stack: undefined },
      };
    },
  });

/** Procedures about staff accounts (`users.*`: needs `user:admin`), whose errors name the account. */
const STAFF_ACCOUNT_PROCEDURES = /^users\./;

function maskErrorMessage(path: string | undefined, message: string): string {
  return path !== undefined && STAFF_ACCOUNT_PROCEDURES.test(path) ? message : maskPiiText(message);
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Turns an AppError thrown by a service into the matching tRPC error, keeping it as the cause. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const cause = result.error.cause as AppError;
    throw new TRPCError({ code: ERROR_STATUS[cause.code], message: cause.message, cause });
  }
  return result;
});

/** Deny by default: the procedure's declared permission decides, and no declaration means no access. */
const authorize = t.middleware(({ ctx, meta, next }) => {
  const permission = meta?.permission;
  if (!permission) throw new TRPCError({ code: 'FORBIDDEN', message: 'This procedure declares no permission' });
  if (permission === 'public') return next({ ctx });
  if (!ctx.user && ctx.refusal === 'csrf')
    throw new TRPCError({ code: 'FORBIDDEN', message: 'The session cookie came without its CSRF token' });
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  const needs: readonly Permission[] = typeof permission === 'string' ? [permission] : permission;
  const role = ctx.user.role;
  if (!needs.some((p) => roleHas(role, p)))
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `Your role (${role}) may not do this (needs ${needs.join(' or ')})`,
    });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

/**
 * Refuses raw input that PostgreSQL cannot store (a NUL character, an unpaired surrogate) or that
 * is nested deeper than `MAX_JSON_DEPTH`, naming the field, before any procedure's schema parses
 * it (a schema recursing into 5,000 levels would overflow the stack).
 */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const problem = findUnsafeText(await getRawInput());
  if (problem) {
    const issues = toFieldIssues([problem]);
    throw new AppError('BAD_INPUT', `Invalid input: ${issues[0]?.path} ${problem.message}`, { issues });
  }
  return next();
});

/**
 * Masks PII in every answer, for every caller (issue 12): item data reaches a viewer only as mask
 * tokens; a user with `pii:read` reveals one field with the audited `pii.unmask`. It wraps every
 * procedure (it is part of `base`), so a new procedure cannot forget it.
 */
const maskOutput = t.middleware(async ({ meta, next }) => {
  const result = await next();
  if (!result.ok) return result;
  return { ...result, data: maskPii(result.data, { keep: meta?.unmasked ?? [] }) };
});

const base = t.procedure.use(mapErrors).use(maskOutput).use(storableInput);

/**
 * A procedure that requires `permission` (given a list: any one of them).
 *
 * @example
 * const claimNext = requirePermission('task:work').input(claimNextInput).mutation(({ ctx, input }) => ...);
 */
export function requirePermission(
  permission:
    | Exclude<Permission, 'public'>
    | readonly [Exclude<Permission, 'public'>, ...Exclude<Permission, 'public'>[]],
  options: { unmasked?: readonly string[] } = {},
) {
  return base
    .meta({ permission, ...options })
    .use(authorize)
    .use(({ ctx, next }) => {
      // authorize guarantees a user for every permission but `public`.
      if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
      return next({ ctx: { ...ctx, user: ctx.user } });
    });
}

export const publicProcedure = base.meta({ permission: 'public' }).use(authorize);

/** `publicProcedure` leaving some output paths unmasked (`auth.login` returns the user's own account). */
export const publicProcedureKeeping = (unmasked: readonly string[]) =>
  base.meta({ permission: 'public', unmasked }).use(authorize);
