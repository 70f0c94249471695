// The administration commands as a real process: a lead created in queues, roles changed, queue
// members added and removed, scoped keys created (printed once) and listed with their scopes, and
// clear errors with exit codes for bad input. Every change lands on the `security` stream as the CLI.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findApiKey, login } from '@signoff/governance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const root = join(import.meta.dirname, '..', '..');
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const PASSWORD = 'a long enough secret';

function signoff(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: t.url };
    delete env.SIGNOFF_USER_PASSWORD;
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
      cwd: root,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const memberships = async (email: string) =>
  (
    await t.db
      .selectFrom('queue_members')
      .innerJoin('users', 'users.id', 'queue_members.user_id')
      .select('queue')
      .where('users.email', '=', email)
      .orderBy('queue')
      .execute()
  ).map((r) => r.queue);

describe('signoff users and queues', () => {
  it('adds a lead in two queues, who can sign in as a lead', async () => {
    const r = await signoff(
      [
        'users',
        'add',
        'lee@bank.example',
        '--name',
        'Lee',
        '--role',
        'lead',
        '--queue',
        'refunds',
        '--queue',
        'support',
        '--password-stdin',
      ],
      PASSWORD,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\[signoff\] added lee@bank\.example \(lead\) in refunds, support, id [0-9a-f-]{36}\n$/);
    expect(r.code).toBe(0);
    expect((await login(t.db, 'lee@bank.example', PASSWORD)).user.role).toBe('lead');
    expect(await memberships('lee@bank.example')).toEqual(['refunds', 'support']);
    const admin = await signoff(
      ['users', 'add', 'ops@bank.example', '--name', 'Ops', '--role', 'admin', '--password-stdin'],
      PASSWORD,
    );
    expect(admin.code).toBe(0);
  });

  it("changes a user's role and resets their password", async () => {
    expect(await signoff(['users', 'update', 'lee@bank.example', '--role', 'reviewer'])).toEqual({
      code: 0,
      stdout: '[signoff] lee@bank.example: role lead -> reviewer\n',
      stderr: '',
    });
    const reset = await signoff(['users', 'update', 'lee@bank.example', '--password-stdin'], 'another long secret');
    expect(reset).toEqual({
      code: 0,
      stdout: '[signoff] lee@bank.example: password reset, sessions ended\n',
      stderr: '',
    });
    expect((await login(t.db, 'lee@bank.example', 'another long secret')).user.role).toBe('reviewer');
  });

  it('refuses unknown roles, nothing to change, unknown users and empty queue names, with exit codes', async () => {
    expect(await signoff(['users', 'update', 'lee@bank.example', '--role', 'boss'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: role: Unknown role: choose one of reviewer, lead, compliance, data_scientist, admin\n',
    });
    expect(await signoff(['users', 'update', 'lee@bank.example'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Say what to change: --role, --name, --reset-password or --password-stdin\n',
    });
    expect(await signoff(['users', 'update', 'nobody@bank.example', '--role', 'lead'])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'error: No user nobody@bank.example\n',
    });
    expect(await signoff(['queues', 'add', ' ', 'lee@bank.example'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: queue: Name the queue\n',
    });
    expect(await signoff(['queues', 'add', 'refunds', 'lee@bank.example', 'nobody@bank.example'])).toEqual({
      code: 4,
      stdout: '',
      stderr: 'error: No user nobody@bank.example\n',
    });
    // Nothing was half done: the known user of the refused command was not added anywhere new.
    expect(await memberships('lee@bank.example')).toEqual(['refunds', 'support']);
  });

  it('adds and removes queue members, lists queues with their members', async () => {
    expect(await signoff(['queues', 'add', 'priority', 'lee@bank.example', 'ops@bank.example'])).toEqual({
      code: 0,
      stdout:
        '[signoff] lee@bank.example is now a member of priority\n[signoff] ops@bank.example is now a member of priority\n',
      stderr: '',
    });
    expect((await signoff(['queues', 'add', 'priority', 'lee@bank.example'])).stdout).toBe(
      '[signoff] lee@bank.example was already a member of priority\n',
    );
    expect(await signoff(['queues', 'remove', 'refunds', 'lee@bank.example'])).toEqual({
      code: 0,
      stdout: '[signoff] lee@bank.example is no longer a member of refunds\n',
      stderr: '',
    });
    expect((await signoff(['queues', 'remove', 'refunds', 'lee@bank.example'])).stdout).toBe(
      '[signoff] lee@bank.example was not a member of refunds\n',
    );
    const list = await signoff(['queues', 'list', '--json']);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { queue: string; members: { email: string; role: string }[] });
    expect(rows.map((q) => [q.queue, q.members.map((m) => `${m.email} ${m.role}`)])).toEqual([
      ['priority', ['lee@bank.example reviewer', 'ops@bank.example admin']],
      ['support', ['lee@bank.example reviewer']],
    ]);
    const text = await signoff(['queues', 'list']);
    expect(text.stdout).toMatch(/^queue\s+open tasks\s+workflows\s+members\n/);
    expect(text.stdout).toMatch(/priority\s+0\s+-\s+lee@bank\.example \(reviewer\), ops@bank\.example \(admin\)/);
    const users = await signoff(['users', 'list']);
    expect(users.stdout).toMatch(/lee@bank\.example\s+Lee\s+reviewer\s+active\s+priority,support\s/);
    expect(users.stdout).toMatch(/ops@bank\.example\s+Ops\s+admin\s+active\s+\(all\)\s/);
  });
});

describe('signoff keys with scopes', () => {
  it('creates a key with one scope (printed once), lists it with its scopes, refuses an unknown scope', async () => {
    const created = await signoff(['keys', 'create', 'psp webhook', '--scope', 'events:send']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^sk_signoff_[A-Za-z0-9_-]{32}\n$/);
    expect(created.stderr).toContain('created API key "psp webhook" (events:send)');
    const key = created.stdout.trim();
    expect((await findApiKey(t.db, key))?.scopes).toEqual(['events:send']);
    const both = await signoff(['keys', 'create', 'helpdesk', '--scope', 'items:submit', '--scope', 'events:send']);
    expect((await findApiKey(t.db, both.stdout.trim()))?.scopes).toEqual(['items:submit', 'events:send']);

    const list = await signoff(['keys', 'list']);
    expect(list.stdout).toMatch(/^id\s+name\s+prefix\s+scopes\s+created\s+status\n/);
    expect(list.stdout).toMatch(/psp webhook\s+sk_signoff_\S+…\s+events:send\s+\S+\s+active/);
    expect(list.stdout).toMatch(/helpdesk\s+sk_signoff_\S+…\s+items:submit,events:send\s/);
    expect(list.stdout).not.toContain(key);

    expect(await signoff(['keys', 'create', 'x', '--scope', 'items:delete'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Unknown scope: choose from items:submit, events:send\n',
    });
  });
});

it('every change is on the security stream as the CLI, with the old and new role and each membership', async () => {
  const trail = await t.db
    .selectFrom('audit_events')
    .select(['action', 'actor_id', 'data'])
    .where('stream', '=', 'security')
    .where('action', 'not like', 'login.%')
    .orderBy('seq')
    .execute();
  expect(trail.every((e) => e.actor_id === 'cli')).toBe(true);
  const line = (e: (typeof trail)[number]) => {
    const d = e.data as Record<string, unknown>;
    if (e.action === 'user.updated') {
      const role = (d.changes as { role?: { from: string; to: string } }).role;
      return `${e.action} role ${role ? `${role.from} -> ${role.to}` : 'unchanged'}, password changed ${String(d.passwordChanged)}`;
    }
    if (e.action.startsWith('queue_member.')) return `${e.action} ${String(d.queue)} ${String(d.email)}`;
    if (e.action.startsWith('api_key.')) return `${e.action} ${String(d.name)} ${JSON.stringify(d.scopes)}`;
    return `${e.action} ${String(d.email)} ${String(d.role)}`;
  };
  expect(trail.map(line)).toEqual([
    'user.created lee@bank.example lead',
    'queue_member.added refunds lee@bank.example',
    'queue_member.added support lee@bank.example',
    'user.created ops@bank.example admin',
    'user.updated role lead -> reviewer, password changed false',
    'user.updated role unchanged, password changed true',
    'queue_member.added priority lee@bank.example',
    'queue_member.added priority ops@bank.example',
    'queue_member.removed refunds lee@bank.example',
    'api_key.created psp webhook ["events:send"]',
    'api_key.created helpdesk ["items:submit","events:send"]',
  ]);
  expect(JSON.stringify(trail)).not.toContain(PASSWORD);
});
