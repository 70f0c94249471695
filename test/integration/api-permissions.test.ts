// Deny by default: every procedure declares a permission, and every role is refused what it lacks.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { type Permission, ROLES, type Role, roleHas } from '@signoff/core';
import { WorkflowRegistry } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { TRPCError } from '@trpc/server';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
const users = new Map<Role, { id: string; email: string; name: string; role: Role }>();
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { permission?: Permission } } }>,
);

beforeAll(async () => {
  t = await createTestDatabase();
  for (const role of ROLES)
    users.set(role, await upsertUser(t.db, { email: `${role}@perm.test`, name: role, role, password: 'x' }));
});
afterAll(() => t.drop());

function ctxFor(role: Role | null): Context {
  // boss is never reached: unauthorised calls stop before it, authorised ones fail input validation first.
  return {
    db: t.db,
    boss: {} as PgBoss,
    registry: new WorkflowRegistry(),
    user: role ? (users.get(role) ?? null) : null,
    token: null,
  };
}

async function call(role: Role | null, path: string): Promise<unknown> {
  const caller = createCallerFactory(appRouter)(ctxFor(role)) as unknown as Record<string, unknown>;
  const fn = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (
    i: unknown,
  ) => Promise<unknown>;
  try {
    return await fn({});
  } catch (e) {
    return e;
  }
}

describe('API permissions', () => {
  it('the router has procedures, and every one declares a permission', () => {
    expect(procedures.length).toBeGreaterThan(8);
    for (const [path, proc] of procedures) expect(proc._def.meta?.permission, path).toBeDefined();
  });

  for (const [path, proc] of procedures) {
    const permission = proc._def.meta?.permission as Permission;
    it(`${path} (${permission})`, async () => {
      const anonymous = await call(null, path);
      if (permission === 'public') {
        expect(anonymous instanceof TRPCError ? anonymous.code : 'ok').not.toMatch(/UNAUTHORIZED|FORBIDDEN/);
      } else {
        expect(anonymous).toBeInstanceOf(TRPCError);
        expect((anonymous as TRPCError).code).toBe('UNAUTHORIZED');
      }
      for (const role of ROLES) {
        const result = await call(role, path);
        const code = result instanceof TRPCError ? result.code : 'ok';
        if (roleHas(role, permission)) expect(code, `${role} on ${path}`).not.toMatch(/UNAUTHORIZED|FORBIDDEN/);
        else expect(code, `${role} on ${path}`).toBe('FORBIDDEN');
      }
    });
  }
});
