// `pii.unmask`: a user with pii:read (compliance, admin) reveals one field of one item, and the
// reveal is audited on the security stream (who, item, path, reason; never the value). Without the
// permission: FORBIDDEN, and nothing is recorded as revealed. Bad paths get a clear 4xx.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import type { Role } from '@signoff/core';
import { upsertUser } from '@signoff/governance';
import { seedExamples } from '@signoff/server';
import { TRPCError } from '@trpc/server';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PII, piiInput, piiWorkflow } from '../fixtures/pii-workflow';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { waitFor } from '../support/signoff';

let t: TestDatabase;
let engine: TestEngine;
let itemId: string;
let decisionId: string;
const users = new Map<Role, { id: string; email: string; name: string; role: Role }>();

beforeAll(async () => {
  t = await createTestDatabase();
  await seedExamples(t.db);
  engine = await startTestEngine(t, [piiWorkflow()]);
  for (const role of ['lead', 'reviewer', 'data_scientist', 'compliance', 'admin'] as const)
    users.set(role, await upsertUser(t.db, { email: `${role}@unmask.test`, name: role, role, password: 'x' }));
  itemId = await engine.submit('pii-claims', piiInput(7));
  decisionId = (
    await waitFor(() => t.db.selectFrom('decisions').select('id').where('item_id', '=', itemId).executeTakeFirst())
  ).id;
});
afterAll(async () => {
  await engine?.stop();
  await t?.drop();
});

function as(role: Role) {
  const ctx: Context = {
    db: t.db,
    boss: {} as PgBoss,
    registry: engine.registry,
    user: users.get(role) ?? null,
    token: null,
  };
  return createCallerFactory(appRouter)(ctx);
}

const revealEvents = () =>
  t.db
    .selectFrom('audit_events')
    .select(['actor_type', 'actor_id', 'data'])
    .where('stream', '=', 'security')
    .where('action', '=', 'pii.unmasked')
    .orderBy('seq')
    .execute();

describe('with pii:read', () => {
  it('reveals one field of the input, audited with who, item, path and reason', async () => {
    const before = (await revealEvents()).length;
    const r = await as('compliance').pii.unmask({
      itemId,
      path: '/input/customer/email',
      reason: 'Subject access request 42',
    });
    expect(r).toEqual({ itemId, path: '/input/customer/email', value: PII.email });
    const events = await revealEvents();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)).toEqual({
      actor_type: 'user',
      actor_id: users.get('compliance')?.id,
      data: {
        itemId,
        path: '/input/customer/email',
        userId: users.get('compliance')?.id,
        reason: 'Subject access request 42',
      },
    });
    // The audit never holds the value.
    expect(JSON.stringify(events)).not.toContain(PII.email);
  });

  it('reveals the context, a decision field and a state output too (admin, no reason)', async () => {
    const admin = as('admin');
    expect((await admin.pii.unmask({ itemId, path: '/context/lookup/cardOnFile' })).value).toBe(PII.card);
    expect((await admin.pii.unmask({ itemId, path: '/runs/lookup/1/output/contact' })).value).toBe(PII.email);
    expect((await admin.pii.unmask({ itemId, path: `/decisions/${decisionId}/input_text` })).value).toBe(
      `Refund for claim ${PII.claimRef} (#7)\n${piiInput(7).body}\nFrom ${PII.email}`,
    );
    expect((await revealEvents()).at(-1)?.data).toEqual({
      itemId,
      path: `/decisions/${decisionId}/input_text`,
      userId: users.get('admin')?.id,
    });
  });

  it('refuses what is not one field, names what is wrong, and records nothing', async () => {
    const before = (await revealEvents()).length;
    const compliance = as('compliance');
    const refusal = (path: string) =>
      compliance.pii.unmask({ itemId, path }).then(
        () => 'answered',
        (e: TRPCError) => `${e.code}: ${e.message}`,
      );
    expect(await refusal('/input/customer')).toBe(
      'BAD_REQUEST: path /input/customer is an object or a list: name one field (a string or number) in it',
    );
    expect(await refusal('/input/nothing')).toBe(`NOT_FOUND: Item ${itemId} has nothing at /input/nothing`);
    expect(await refusal('/secrets/x')).toBe(
      'BAD_REQUEST: path must start with /input, /context, /runs, /decisions, /tasks, /reviews or /labels (got "/secrets")',
    );
    expect(await refusal('input/customer/email')).toBe(
      'BAD_REQUEST: path must be a JSON Pointer starting with "/" (got "input/customer/email")',
    );
    expect(await refusal('/decisions/not-a-uuid/output')).toBe(
      'BAD_REQUEST: path: the decision id must be a UUID (got "not-a-uuid")',
    );
    expect((await revealEvents()).length).toBe(before);
  });
});

describe('without pii:read', () => {
  for (const role of ['lead', 'reviewer', 'data_scientist'] as const) {
    it(`${role}: FORBIDDEN, and nothing is recorded as revealed`, async () => {
      const before = (await revealEvents()).length;
      const e = await as(role)
        .pii.unmask({ itemId, path: '/input/customer/email' })
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(e).toBeInstanceOf(TRPCError);
      expect((e as TRPCError).code).toBe('FORBIDDEN');
      expect((e as TRPCError).message).toBe(`Your role (${role}) may not do this (needs pii:read)`);
      expect((await revealEvents()).length).toBe(before);
    });
  }
});
