// Regression: users and API keys could only be created by `signoff start --demo`. Now
// `signoff users add|disable|enable|list` and `signoff keys create|revoke|list` manage them, audited
// as the CLI; passwords come from stdin, $SIGNOFF_USER_PASSWORD or a prompt, never the command line;
// exit codes tell a clash (3) and an unknown id (4) from bad input (2). Runs the real CLI as a process.
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

/** Runs `signoff ...` with `stdin` piped in (closed at once when not given, as in a script). */
function signoff(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: t.url, ...options.env };
    if (!options.env?.SIGNOFF_USER_PASSWORD) delete env.SIGNOFF_USER_PASSWORD;
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
    child.stdin.end(options.stdin ?? '');
  });
}

async function securityTrail() {
  const rows = await t.db
    .selectFrom('audit_events')
    .select(['action', 'actor_type', 'actor_id', 'data'])
    .where('stream', '=', 'security')
    .orderBy('seq')
    .execute();
  return rows;
}

const PASSWORD = 'a long enough secret';
let createdKey = '';

describe('signoff users', () => {
  it('adds a user with the password from stdin, who can then sign in', async () => {
    const r = await signoff(
      ['users', 'add', 'Kim@Bank.example', '--name', 'Kim Lee', '--role', 'compliance', '--password-stdin'],
      {
        stdin: `${PASSWORD}\n`,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[signoff\] added kim@bank\.example \(compliance\), id [0-9a-f-]{36}\n$/);
    const session = await login(t.db, 'kim@bank.example', PASSWORD);
    expect(session.user).toMatchObject({ email: 'kim@bank.example', name: 'Kim Lee', role: 'compliance' });
  });

  it('adds a user with the password from $SIGNOFF_USER_PASSWORD', async () => {
    const r = await signoff(['users', 'add', 'ops@bank.example', '--name', 'Ops', '--role', 'admin'], {
      env: { SIGNOFF_USER_PASSWORD: PASSWORD },
    });
    expect(r.code).toBe(0);
    expect((await login(t.db, 'ops@bank.example', PASSWORD)).user.role).toBe('admin');
  });

  it('refuses a taken email with exit code 3', async () => {
    const r = await signoff(
      ['users', 'add', 'kim@bank.example', '--name', 'Kim', '--role', 'reviewer', '--password-stdin'],
      {
        stdin: PASSWORD,
      },
    );
    expect(r).toEqual({ code: 3, stdout: '', stderr: 'error: A user with email kim@bank.example already exists\n' });
  });

  it('refuses an unknown role, a bad email, a short password and a missing password with exit code 2', async () => {
    const role = await signoff(
      ['users', 'add', 'x@bank.example', '--name', 'X', '--role', 'boss', '--password-stdin'],
      {
        stdin: PASSWORD,
      },
    );
    expect(role).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: role: Unknown role: choose one of reviewer, lead, compliance, data_scientist, admin\n',
    });
    const email = await signoff(
      ['users', 'add', 'not-an-email', '--name', 'X', '--role', 'reviewer', '--password-stdin'],
      {
        stdin: PASSWORD,
      },
    );
    expect(email).toEqual({ code: 2, stdout: '', stderr: 'error: email: Enter a valid email address\n' });
    const short = await signoff(
      ['users', 'add', 'x@bank.example', '--name', 'X', '--role', 'reviewer', '--password-stdin'],
      {
        stdin: 'short\n',
      },
    );
    expect(short).toEqual({ code: 2, stdout: '', stderr: 'error: A password needs at least 12 characters\n' });
    // No --password-stdin, no variable, no terminal: it says where a password may come from.
    const none = await signoff(['users', 'add', 'x@bank.example', '--name', 'X', '--role', 'reviewer']);
    expect(none).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: No password: pipe it in with --password-stdin, set SIGNOFF_USER_PASSWORD, or run in a terminal to be asked\n',
    });
    const users = await t.db.selectFrom('users').select('email').where('email', '=', 'x@bank.example').execute();
    expect(users).toEqual([]);
  });

  it('has no way to pass a password on the command line', async () => {
    const help = await signoff(['users', 'add', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--password-stdin');
    expect(help.stdout).not.toMatch(/--password\s*</);
    const r = await signoff([
      'users',
      'add',
      'y@bank.example',
      '--name',
      'Y',
      '--role',
      'reviewer',
      '--password',
      PASSWORD,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown option '--password'");
  });

  it('lists, disables (ending sessions) and enables users; an unknown user is exit code 4', async () => {
    const list = await signoff(['users', 'list', '--json']);
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { email: string; role: string; disabledAt: string | null });
    expect(rows.map((u) => [u.email, u.role, u.disabledAt])).toEqual([
      ['kim@bank.example', 'compliance', null],
      ['ops@bank.example', 'admin', null],
    ]);

    const off = await signoff(['users', 'disable', 'kim@bank.example']);
    expect(off).toEqual({ code: 0, stdout: '[signoff] kim@bank.example is now disabled\n', stderr: '' });
    const sessions = await t.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select('token_hash')
      .where('users.email', '=', 'kim@bank.example')
      .execute();
    expect(sessions).toEqual([]);
    await expect(login(t.db, 'kim@bank.example', PASSWORD)).rejects.toThrow('Email or password is incorrect');
    expect((await signoff(['users', 'disable', 'kim@bank.example'])).stdout).toBe(
      '[signoff] kim@bank.example was already disabled\n',
    );
    expect((await signoff(['users', 'list'])).stdout).toMatch(/kim@bank\.example\s+Kim Lee\s+compliance\s+disabled/);
    expect((await signoff(['users', 'enable', 'kim@bank.example'])).code).toBe(0);

    const unknown = await signoff(['users', 'disable', 'nobody@bank.example']);
    expect(unknown).toEqual({ code: 4, stdout: '', stderr: 'error: No user nobody@bank.example\n' });
    // The last active admin stays.
    const last = await signoff(['users', 'disable', 'ops@bank.example']);
    expect(last).toEqual({
      code: 3,
      stdout: '',
      stderr: 'error: This is the last active admin: make another user admin first\n',
    });
  });
});

describe('signoff keys', () => {
  it('creates a key shown once on stdout, lists it by prefix, revokes it; an unknown id is exit code 4', async () => {
    const created = await signoff(['keys', 'create', 'helpdesk webhook']);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    createdKey = key;
    expect(created.stdout).toMatch(/^sk_signoff_[A-Za-z0-9_-]{32}\n$/);
    expect(created.stderr).toContain('Store it now: it is shown only this once.');
    const found = await findApiKey(t.db, key);
    expect(found?.name).toBe('helpdesk webhook');
    const id = found?.id as string;

    const list = await signoff(['keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain(`${key.slice(0, 14)}…`);
    expect(list.stdout).not.toContain(key);

    expect(await signoff(['keys', 'revoke', id])).toEqual({
      code: 0,
      stdout: `[signoff] API key "helpdesk webhook" (${key.slice(0, 14)}…) is now revoked\n`,
      stderr: '',
    });
    expect(await findApiKey(t.db, key)).toBeUndefined();

    const unknownId = '3f0c9a1e-0000-4000-8000-000000000000';
    expect(await signoff(['keys', 'revoke', unknownId])).toEqual({
      code: 4,
      stdout: '',
      stderr: `error: No API key with id ${unknownId}\n`,
    });
    expect((await signoff(['keys', 'revoke', 'not-a-key-id'])).code).toBe(4);
  });
});

it('every change above is on the security stream, as the CLI, with no password or key in it', async () => {
  const trail = await securityTrail();
  const changes = trail.filter((e) => !e.action.startsWith('login.'));
  expect(
    changes.map((e) => `${e.action} ${e.actor_type}:${e.actor_id} ${String(e.data.email ?? e.data.name)}`),
  ).toEqual([
    'user.created system:cli kim@bank.example',
    'user.created system:cli ops@bank.example',
    'user.disabled system:cli kim@bank.example',
    'user.enabled system:cli kim@bank.example',
    'api_key.created system:cli helpdesk webhook',
    'api_key.revoked system:cli helpdesk webhook',
  ]);
  expect(JSON.stringify(trail)).not.toContain(PASSWORD);
  expect(createdKey).not.toBe('');
  expect(JSON.stringify(trail)).not.toContain(createdKey);
});
