// `signoff users add|update|disable|enable|list`: console users without the demo, audited as the CLI.
import { AppError, createUserInput, queueName, ROLES, roleInput, toFieldIssues } from '@signoff/core';
import {
  addQueueMember,
  createUser,
  getUser,
  listUsers,
  setUserDisabled,
  type UserListing,
  updateUser,
} from '@signoff/governance';
import type { Command } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';
import { readNewPassword } from '../read-password';
import { CLI_ACTOR, jsonLines, table } from './admin-common';

function badInput(issues: { path: string; message: string }[]): AppError {
  return new AppError('BAD_INPUT', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

/** Collects a repeatable option's values. */
export const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Queue names as typed, checked; repeats dropped. */
export function parseQueues(queues: readonly string[]): string[] {
  const names = queues.map((q) => {
    const r = queueName.safeParse(q);
    if (!r.success) throw badInput([{ path: 'queue', message: r.error.issues[0]?.message ?? 'Unusable queue name' }]);
    return r.data;
  });
  return [...new Set(names)];
}

/**
 * Adds `signoff users ...` to the program. Exit codes: 0 done, 2 unusable input (unknown role, bad
 * email, no or short password), 3 conflict (email taken, last active admin), 4 unknown user.
 *
 * @example
 * registerUsersCommand(program);
 * // $ printf '%s' "$PW" | signoff users add kim@bank.example --name 'Kim Lee' --role lead --queue refunds --password-stdin
 */
export function registerUsersCommand(program: Command): Command {
  const users = program.command('users').description('Console users: add, update, disable, enable, list');

  users
    .command('add')
    .description('Add a user; the password is asked for, or read from stdin or $SIGNOFF_USER_PASSWORD')
    .argument('<email>', 'sign-in email')
    .requiredOption('--name <name>', 'the name the console shows')
    .requiredOption('--role <role>', ROLES.join(', '))
    .option('--queue <queue>', 'a queue the user works (repeat for several)', repeatable)
    .option('--password-stdin', 'read the password from standard input')
    .action((email: string, opts: { name: string; role: string; queue?: string[]; passwordStdin?: boolean }) =>
      reportingErrors(async () => {
        // Check everything but the password first, so a typo does not cost typing it twice.
        const parsed = createUserInput.omit({ password: true }).safeParse({ email, name: opts.name, role: opts.role });
        if (!parsed.success) throw badInput(toFieldIssues(parsed.error.issues));
        const queues = parseQueues(opts.queue ?? []);
        const password = await readNewPassword({ stdin: opts.passwordStdin ?? false }, parsed.data.email);
        const user = await withDatabase((db) =>
          db.transaction().execute(async (trx) => {
            const created = await createUser(trx, { ...parsed.data, password }, CLI_ACTOR);
            for (const queue of queues) await addQueueMember(trx, { queue, userId: created.id }, CLI_ACTOR);
            return created;
          }),
        );
        const where = queues.length ? ` in ${queues.join(', ')}` : '';
        console.log(`[signoff] added ${user.email} (${user.role})${where}, id ${user.id}`);
      }),
    );

  users
    .command('update')
    .description("Change a user's role or name, or reset their password (which ends their sessions)")
    .argument('<user>', 'email or id')
    .option('--role <role>', `the new role: ${ROLES.join(', ')}`)
    .option('--name <name>', 'the new name')
    .option('--reset-password', 'set a new password, asked for or read from $SIGNOFF_USER_PASSWORD')
    .option('--password-stdin', 'set a new password read from standard input')
    .action((ref: string, opts: { role?: string; name?: string; resetPassword?: boolean; passwordStdin?: boolean }) =>
      reportingErrors(async () => {
        const resetting = opts.resetPassword === true || opts.passwordStdin === true;
        if (opts.role === undefined && opts.name === undefined && !resetting)
          throw new AppError('BAD_INPUT', 'Say what to change: --role, --name, --reset-password or --password-stdin');
        const role = opts.role === undefined ? undefined : roleInput.safeParse(opts.role);
        if (role && !role.success) throw badInput([{ path: 'role', message: role.error.issues[0]?.message ?? '' }]);
        const name = opts.name?.trim();
        if (name === '') throw badInput([{ path: 'name', message: 'Enter a name' }]);
        const r = await withDatabase(async (db) => {
          const target = await getUser(db, ref);
          const password = resetting
            ? await readNewPassword({ stdin: opts.passwordStdin ?? false }, target.email)
            : undefined;
          const after = await db
            .transaction()
            .execute((trx) => updateUser(trx, target.id, { role: role?.data, name, password }, CLI_ACTOR));
          return { before: target, after };
        });
        const said: string[] = [];
        if (r.before.role !== r.after.role) said.push(`role ${r.before.role} -> ${r.after.role}`);
        if (r.before.name !== r.after.name) said.push(`name "${r.before.name}" -> "${r.after.name}"`);
        if (resetting) said.push('password reset, sessions ended');
        console.log(`[signoff] ${r.after.email}: ${said.length ? said.join('; ') : 'nothing to change'}`);
      }),
    );

  for (const disabled of [true, false])
    users
      .command(disabled ? 'disable' : 'enable')
      .description(
        disabled
          ? 'Disable a user: they cannot sign in, and their sessions end now'
          : 'Let a disabled user sign in again',
      )
      .argument('<user>', 'email or id')
      .action((ref: string) =>
        reportingErrors(async () => {
          const r = await withDatabase(async (db) => {
            const target = await getUser(db, ref);
            return db.transaction().execute((trx) => setUserDisabled(trx, target.id, disabled, CLI_ACTOR));
          });
          const state = disabled ? 'disabled' : 'enabled';
          console.log(`[signoff] ${r.user.email} ${r.changed ? `is now ${state}` : `was already ${state}`}`);
        }),
      );

  users
    .command('list')
    .description('List users')
    .option('--json', 'one JSON object per line')
    .action((opts: { json?: boolean }) =>
      reportingErrors(async () => {
        const all = await withDatabase(listUsers);
        console.log(opts.json ? jsonLines(all) : formatUsers(all));
      }),
    );
  return users;
}

function formatUsers(users: UserListing[]): string {
  if (users.length === 0) return 'no users (add one with `signoff users add`)';
  return table([
    ['email', 'name', 'role', 'status', 'queues', 'id'],
    ...users.map((u) => [
      u.email,
      u.name,
      u.role,
      u.disabledAt ? 'disabled' : 'active',
      u.role === 'admin' ? '(all)' : u.queues.join(',') || '-',
      u.id,
    ]),
  ]);
}
