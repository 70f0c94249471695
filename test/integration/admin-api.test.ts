// Administration through the real HTTP API (bearer sessions): queue membership listed, added and
// removed; users with the lead role and role changes; API keys with scopes, shown once; every change
// on the `security` stream with the admin as actor. Ingestion keys are held to their scopes: a key
// without `items:submit` cannot submit, one without `events:send` cannot send events (403 naming
// the scope), over real HTTP.
import { verifyAuditStream } from '@signoff/governance';
import { DEMO_PASSWORD } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-client';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ workers: false, demoItems: 0 });
});
afterAll(() => s?.close());

async function signIn(email: string, password = DEMO_PASSWORD) {
  const { token, user } = await apiClient(s.url).auth.login.mutate({ email, password, session: 'bearer' });
  return { api: apiClient(s.url, token), user };
}

async function securityHead(): Promise<number> {
  const h = await s.db.selectFrom('audit_heads').select('seq').where('stream', '=', 'security').executeTakeFirst();
  return h?.seq ?? 0;
}

async function securityEventsAfter(seq: number) {
  const rows = await s.db
    .selectFrom('audit_events')
    .select(['action', 'actor_type', 'actor_id', 'data'])
    .where('stream', '=', 'security')
    .where('seq', '>', seq)
    .where('action', 'not like', 'login.%')
    .orderBy('seq')
    .execute();
  return rows;
}

async function userId(email: string): Promise<string> {
  const u = await s.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
  return u.id;
}

describe('queues', () => {
  it('lists every queue the demo workflow routes to, with the seeded members', async () => {
    const { api } = await signIn('admin@demo.signoff');
    const queues = await api.queues.list.query();
    // support (the policy and a risk rule), refunds and priority (risk rules, the lead's review
    // state), escalations (the default escalation queue of states with a due time); the vendor
    // demo's vendors (its extraction and tax-id review) and legal (risky contract clauses).
    expect(queues.map((q) => [q.queue, q.workflows, q.members.map((m) => m.email)])).toEqual([
      ['escalations', ['support-triage', 'vendor-onboarding'], ['lead@demo.signoff']],
      ['legal', ['vendor-onboarding'], ['lead@demo.signoff', 'legal@demo.signoff']],
      ['priority', ['support-triage'], ['lead@demo.signoff', 'reviewer@demo.signoff']],
      ['refunds', ['support-triage'], ['lead@demo.signoff', 'reviewer2@demo.signoff', 'reviewer@demo.signoff']],
      ['support', ['support-triage'], ['lead@demo.signoff', 'reviewer2@demo.signoff', 'reviewer@demo.signoff']],
      ['vendors', ['vendor-onboarding'], ['lead@demo.signoff', 'reviewer2@demo.signoff', 'reviewer@demo.signoff']],
    ]);
    expect(queues[0]?.members[0]).toMatchObject({ name: 'Lee Lead', role: 'lead', disabled: false });
  });

  it('adds and removes members, audited once each; a repeat changes and records nothing', async () => {
    const { api, user: admin } = await signIn('admin@demo.signoff');
    const sam = await userId('reviewer2@demo.signoff');
    const start = await securityHead();
    expect(await api.queues.addMember.mutate({ queue: ' priority ', userId: sam })).toEqual({ changed: true });
    expect(await api.queues.addMember.mutate({ queue: 'priority', userId: sam })).toEqual({ changed: false });
    expect(await api.users.memberships.query({ userId: sam })).toEqual({
      userId: sam,
      queues: ['priority', 'refunds', 'support', 'vendors'],
    });
    expect(await api.queues.removeMember.mutate({ queue: 'refunds', userId: sam })).toEqual({ changed: true });
    expect(await api.queues.removeMember.mutate({ queue: 'refunds', userId: sam })).toEqual({ changed: false });
    // A queue no workflow knows yet is fine: it is listed once it has a member.
    await api.queues.addMember.mutate({ queue: 'night-shift', userId: sam });
    const listed = await api.queues.list.query();
    expect(listed.find((q) => q.queue === 'night-shift')).toMatchObject({ workflows: [], openTasks: 0 });
    expect(listed.find((q) => q.queue === 'refunds')?.members.map((m) => m.email)).toEqual([
      'lead@demo.signoff',
      'reviewer@demo.signoff',
    ]);
    const users = await api.users.list.query();
    expect(users.find((u) => u.id === sam)?.queues).toEqual(['night-shift', 'priority', 'support', 'vendors']);

    const data = (queue: string) => ({ queue, userId: sam, email: 'reviewer2@demo.signoff' });
    expect(await securityEventsAfter(start)).toEqual([
      { action: 'queue_member.added', actor_type: 'user', actor_id: admin.id, data: data('priority') },
      { action: 'queue_member.removed', actor_type: 'user', actor_id: admin.id, data: data('refunds') },
      { action: 'queue_member.added', actor_type: 'user', actor_id: admin.id, data: data('night-shift') },
    ]);
  });

  it("sets a user's queues exactly, each membership change audited", async () => {
    const { api } = await signIn('admin@demo.signoff');
    const riley = await userId('reviewer@demo.signoff');
    const start = await securityHead();
    expect(await api.users.setQueues.mutate({ userId: riley, queues: ['support', 'escalations', 'support'] })).toEqual({
      added: ['escalations'],
      removed: ['priority', 'refunds', 'vendors'],
    });
    expect((await api.users.memberships.query({ userId: riley })).queues).toEqual(['escalations', 'support']);
    expect((await securityEventsAfter(start)).map((e) => `${e.action} ${String(e.data.queue)}`)).toEqual([
      'queue_member.added escalations',
      'queue_member.removed priority',
      'queue_member.removed refunds',
      'queue_member.removed vendors',
    ]);
  });

  it('refuses an unknown user and an empty queue name with clear errors', async () => {
    const { api } = await signIn('admin@demo.signoff');
    const nobody = '3f0c9a1e-0000-4000-8000-000000000000';
    await expect(api.queues.addMember.mutate({ queue: 'support', userId: nobody })).rejects.toMatchObject({
      message: `No user ${nobody}`,
      data: { code: 'NOT_FOUND' },
    });
    await expect(api.queues.removeMember.mutate({ queue: 'support', userId: nobody })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const riley = await userId('reviewer@demo.signoff');
    await expect(api.queues.addMember.mutate({ queue: '   ', userId: riley })).rejects.toMatchObject({
      message: 'Invalid input: queue: Name the queue',
      data: { code: 'BAD_REQUEST', fieldErrors: [{ path: 'queue', message: 'Name the queue' }] },
    });
    await expect(api.users.setQueues.mutate({ userId: riley, queues: ['ok', ''] })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });
});

describe('users', () => {
  it('creates a lead, and a role change is audited with the old and the new role', async () => {
    const { api, user: admin } = await signIn('admin@demo.signoff');
    const start = await securityHead();
    const created = await api.users.create.mutate({
      email: 'quinn@bank.example',
      name: 'Quinn',
      role: 'lead',
      password: 'a long lead password',
    });
    expect(created).toMatchObject({ role: 'lead', disabledAt: null });
    expect((await signIn('quinn@bank.example', 'a long lead password')).user.role).toBe('lead');
    await api.users.update.mutate({ userId: created.id, role: 'reviewer' });
    expect(await securityEventsAfter(start)).toEqual([
      {
        action: 'user.created',
        actor_type: 'user',
        actor_id: admin.id,
        data: { userId: created.id, email: 'quinn@bank.example', name: 'Quinn', role: 'lead' },
      },
      {
        action: 'user.updated',
        actor_type: 'user',
        actor_id: admin.id,
        data: {
          userId: created.id,
          email: 'quinn@bank.example',
          changes: { role: { from: 'lead', to: 'reviewer' } },
          passwordChanged: false,
          sessionsEnded: 0,
        },
      },
    ]);
    await expect(api.users.update.mutate({ userId: created.id, role: 'boss' as 'lead' })).rejects.toMatchObject({
      message: 'Invalid input: role: Unknown role: choose one of reviewer, lead, compliance, data_scientist, admin',
    });
  });
});

describe('API key scopes', () => {
  async function post(path: string, key: string, body: unknown) {
    const r = await fetch(`${s.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  }
  const item = {
    workflow: 'support-triage',
    input: {
      ticketId: 'T-SCOPE-1',
      channel: 'email',
      language: 'en',
      subject: 'Where is my invoice?',
      body: 'I cannot find the invoice for last month.',
      customer: { id: 'C-1', name: 'Jo', email: 'jo@example.com', tier: 'free', lifetimeValue: 10 },
    },
  };
  const event = { name: 'payment.confirmed', key: 'order-1' };

  it('a key is created with its scopes, shown once, listed with them, and audited with them', async () => {
    const { api, user: admin } = await signIn('admin@demo.signoff');
    const start = await securityHead();
    const created = await api.apiKeys.create.mutate({ name: 'events only', scopes: ['events:send'] });
    expect(created.scopes).toEqual(['events:send']);
    expect(created.key).toMatch(/^sk_signoff_[A-Za-z0-9_-]{32}$/);
    const listed = (await api.apiKeys.list.query()).find((k) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'events only', scopes: ['events:send'], revokedAt: null });
    expect(JSON.stringify(await api.apiKeys.list.query())).not.toContain(created.key);
    // Without scopes a key may do both; order and repeats do not matter.
    expect((await api.apiKeys.create.mutate({ name: 'both' })).scopes).toEqual(['items:submit', 'events:send']);
    expect(
      (await api.apiKeys.create.mutate({ name: 'both again', scopes: ['events:send', 'items:submit', 'events:send'] }))
        .scopes,
    ).toEqual(['items:submit', 'events:send']);
    const events = await securityEventsAfter(start);
    expect(events[0]).toEqual({
      action: 'api_key.created',
      actor_type: 'user',
      actor_id: admin.id,
      data: { keyId: created.id, name: 'events only', prefix: created.prefix, scopes: ['events:send'] },
    });
    expect(JSON.stringify(events)).not.toContain(created.key);
  });

  it('refuses an unknown scope and an empty list of scopes', async () => {
    const { api } = await signIn('admin@demo.signoff');
    await expect(
      api.apiKeys.create.mutate({ name: 'x', scopes: ['items:delete' as 'items:submit'] }),
    ).rejects.toMatchObject({
      message: 'Invalid input: scopes.0: Unknown scope: choose from items:submit, events:send',
      data: { code: 'BAD_REQUEST' },
    });
    await expect(api.apiKeys.create.mutate({ name: 'x', scopes: [] })).rejects.toMatchObject({
      message: 'Invalid input: scopes: Give the key at least one scope',
    });
  });

  it('POST /api/v1/items needs items:submit, single and batch; POST /api/v1/events needs events:send', async () => {
    const { api } = await signIn('admin@demo.signoff');
    const eventsOnly = await api.apiKeys.create.mutate({ name: 'psp', scopes: ['events:send'] });
    const itemsOnly = await api.apiKeys.create.mutate({ name: 'helpdesk', scopes: ['items:submit'] });

    const refusedItem = {
      status: 403,
      body: {
        error: {
          code: 'FORBIDDEN',
          message:
            'This API key lacks the scope "items:submit" (it has: events:send); use a key created with the scope items:submit',
          requiredScope: 'items:submit',
        },
      },
    };
    expect(await post('/api/v1/items', eventsOnly.key, item)).toEqual(refusedItem);
    expect(await post('/api/v1/items', eventsOnly.key, { items: [item] })).toEqual(refusedItem);
    expect(await post('/api/v1/events', itemsOnly.key, event)).toEqual({
      status: 403,
      body: {
        error: {
          code: 'FORBIDDEN',
          message:
            'This API key lacks the scope "events:send" (it has: items:submit); use a key created with the scope events:send',
          requiredScope: 'events:send',
        },
      },
    });
    const items = await s.db.selectFrom('items').select('id').execute();
    expect(items).toEqual([]);

    expect((await post('/api/v1/items', itemsOnly.key, item)).status).toBe(201);
    expect((await post('/api/v1/items', itemsOnly.key, { items: [item] })).status).toBe(200);
    expect((await post('/api/v1/events', eventsOnly.key, event)).status).toBe(200);

    // Revoked, a key is unknown (401), whatever its scopes.
    await api.apiKeys.revoke.mutate({ keyId: itemsOnly.id });
    expect(await post('/api/v1/items', itemsOnly.key, item)).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'Unknown or revoked API key' } },
    });
    expect((await verifyAuditStream(s.db, 'security')).ok).toBe(true);
  });
});
