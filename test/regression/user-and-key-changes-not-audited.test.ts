// Regression: creating users or API keys wrote no audit event. Now creating, changing, disabling and
// enabling users and creating and revoking API keys are audited on the `security` stream, with the
// actor and what changed, never a password, its hash or a key. Exercised through the admin tRPC API
// over HTTP (bearer sessions), which is new too; other roles are refused.
import type { AppRouter } from '@signoff/api';
import { findApiKey, sha256, verifyAuditStream } from '@signoff/governance';
import { DEMO_PASSWORD } from '@signoff/server';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ workers: false, demoItems: 0 });
});
afterAll(() => s?.close());

function client(token?: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${s.url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

async function signIn(email: string, password = DEMO_PASSWORD) {
  const { token, user } = await client().auth.login.mutate({ email, password, session: 'bearer' });
  return { api: client(token), user };
}

async function securityEventsAfter(seq: number) {
  return s.db
    .selectFrom('audit_events')
    .select(['seq', 'action', 'actor_type', 'actor_id', 'data'])
    .where('stream', '=', 'security')
    .where('seq', '>', seq)
    .where('action', 'not like', 'login.%')
    .orderBy('seq')
    .execute();
}

async function securityHead(): Promise<number> {
  const h = await s.db.selectFrom('audit_heads').select('seq').where('stream', '=', 'security').executeTakeFirst();
  return h?.seq ?? 0;
}

it('user changes through the admin API are audited with the admin as actor, without passwords', async () => {
  const { api, user: admin } = await signIn('admin@demo.signoff');
  const start = await securityHead();
  const password = 'first password 1';
  const created = await api.users.create.mutate({
    email: 'Kim.Lee@Bank.example',
    name: 'Kim Lee',
    role: 'reviewer',
    password,
  });
  expect(created).toMatchObject({ email: 'kim.lee@bank.example', name: 'Kim Lee', role: 'reviewer', disabledAt: null });
  const kim = await signIn('kim.lee@bank.example', password);

  const newPassword = 'second password 2';
  await api.users.update.mutate({ userId: created.id, role: 'compliance', password: newPassword });
  // A new password ends the user's sessions.
  await expect(kim.api.auth.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  await api.users.disable.mutate({ userId: created.id });
  await expect(signIn('kim.lee@bank.example', newPassword)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  await api.users.enable.mutate({ userId: created.id });
  expect((await signIn('kim.lee@bank.example', newPassword)).user.role).toBe('compliance');
  // Changing nothing records nothing.
  await api.users.update.mutate({ userId: created.id, name: 'Kim Lee' });

  const events = await securityEventsAfter(start);
  expect(events.map(({ seq: _seq, ...e }) => e)).toEqual([
    {
      action: 'user.created',
      actor_type: 'user',
      actor_id: admin.id,
      data: { userId: created.id, email: 'kim.lee@bank.example', name: 'Kim Lee', role: 'reviewer' },
    },
    {
      action: 'user.updated',
      actor_type: 'user',
      actor_id: admin.id,
      data: {
        userId: created.id,
        email: 'kim.lee@bank.example',
        changes: { role: { from: 'reviewer', to: 'compliance' } },
        passwordChanged: true,
        sessionsEnded: 1,
      },
    },
    {
      action: 'user.disabled',
      actor_type: 'user',
      actor_id: admin.id,
      data: { userId: created.id, email: 'kim.lee@bank.example', sessionsEnded: 0 },
    },
    {
      action: 'user.enabled',
      actor_type: 'user',
      actor_id: admin.id,
      data: { userId: created.id, email: 'kim.lee@bank.example' },
    },
  ]);
  const hash = await s.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', created.id)
    .executeTakeFirstOrThrow();
  const trail = JSON.stringify(events);
  for (const secret of [password, newPassword, hash.password_hash]) expect(trail).not.toContain(secret);
  expect((await verifyAuditStream(s.db, 'security')).ok).toBe(true);
});

it('API keys created and revoked through the admin API are audited by id, name, prefix and scopes, never the key', async () => {
  const { api, user: admin } = await signIn('admin@demo.signoff');
  const start = await securityHead();
  const created = await api.apiKeys.create.mutate({ name: 'helpdesk webhook' });
  expect(created.key).toMatch(/^sk_signoff_[A-Za-z0-9_-]{32}$/);
  expect(created.prefix).toBe(created.key.slice(0, 14));
  expect(await findApiKey(s.db, created.key)).toEqual({
    id: created.id,
    name: 'helpdesk webhook',
    scopes: ['items:submit', 'events:send'],
  });
  const listed = await api.apiKeys.list.query();
  expect(listed.find((k) => k.id === created.id)).toMatchObject({ name: 'helpdesk webhook', createdBy: admin.id });
  expect(JSON.stringify(listed)).not.toContain(created.key);

  expect((await api.apiKeys.revoke.mutate({ keyId: created.id })).changed).toBe(true);
  expect(await findApiKey(s.db, created.key)).toBeUndefined();
  expect((await api.apiKeys.revoke.mutate({ keyId: created.id })).changed).toBe(false);

  const events = await securityEventsAfter(start);
  const keyData = {
    keyId: created.id,
    name: 'helpdesk webhook',
    prefix: created.prefix,
    scopes: ['items:submit', 'events:send'],
  };
  expect(events.map(({ seq: _seq, ...e }) => e)).toEqual([
    { action: 'api_key.created', actor_type: 'user', actor_id: admin.id, data: keyData },
    { action: 'api_key.revoked', actor_type: 'user', actor_id: admin.id, data: keyData },
  ]);
  const trail = JSON.stringify(events);
  expect(trail).not.toContain(created.key);
  expect(trail).not.toContain(sha256(created.key));
});

it('only admins may manage users and keys, and the last active admin cannot be disabled', async () => {
  for (const email of ['reviewer@demo.signoff', 'compliance@demo.signoff', 'data@demo.signoff']) {
    const { api } = await signIn(email);
    await expect(api.users.list.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(api.apiKeys.create.mutate({ name: 'sneaky' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  }
  const { api, user: admin } = await signIn('admin@demo.signoff');
  const refused = await api.users.disable.mutate({ userId: admin.id }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(TRPCClientError);
  expect(refused).toMatchObject({
    message: 'This is the last active admin: make another user admin first',
    data: { code: 'CONFLICT', appCode: 'CONFLICT' },
  });
  const duplicate = await api.users.create
    .mutate({ email: 'reviewer@demo.signoff', name: 'Again', role: 'reviewer', password: 'long enough 123' })
    .catch((e: unknown) => e);
  expect(duplicate).toMatchObject({
    message: 'A user with email reviewer@demo.signoff already exists',
    data: { code: 'CONFLICT' },
  });
});
