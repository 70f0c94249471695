// `signoff users add|disable|enable|list`: console users without the demo, audited as the CLI.
import { AppError, createUserInput, toFieldIssues } from '@signoff/core';
import { createUser, getUser, listUsers, setUserDisabled, type UserAccount } from '@signoff/governance';
import type { Command } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';
import { readNewPassword } from '../read-password';
import { CLI_ACTOR, jsonLines, table } from './admin-common';

/**
 * Adds `signoff users ...` to the program. Exit codes: 0 done, 2 unusable input (unknown role, bad
 * email, no or short password), 3 conflict (email taken, last active admin), 4 unknown user.
 *
 * @example
 * registerUsersCommand(program);
 * // $ printf '%s' "$PW" | signoff users add kim@bank.example --name 'Kim Lee' --role compliance --password-stdin
 */
export function registerUsersCommand(program: Command): Command {
  const users = program.command('users').description('Console users: add, disable, enable, list');

  users
    .command('add')
    .description('Add a user; the password is asked for, or read from stdin or $SIGNOFF_USER_PASSWORD')
    .argument('<email>', 'sign-in email')
    .requiredOption('--name <name>', 'the name the console shows')
    .requiredOption('--role <role>', 'reviewer, compliance, data_scientist or admin')
    .option('--password-stdin', 'read the password from standard input')
    .action((email: string, opts: { name: string; role: string; passwordStdin?: boolean }) =>
      reportingErrors(async () => {
        // Check everything but the password first, so a typo does not cost typing it twice.
        const parsed = createUserInput.omit({ password: true }).safeParse({ email, name: opts.name, role: opts.role });
        if (!parsed.success) {
          const issues = toFieldIssues(parsed.error.issues);
          throw new AppError('BAD_INPUT', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
        }
        const password = await readNewPassword({ stdin: opts.passwordStdin ?? false }, parsed.data.email);
        const user = await withDatabase((db) =>
          db.transaction().execute((trx) => createUser(trx, { ...parsed.data, password }, CLI_ACTOR)),
        );
        console.log(`[signoff] added ${user.email} (${user.role}), id ${user.id}`);
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

function formatUsers(users: UserAccount[]): string {
  if (users.length === 0) return 'no users (add one with `signoff users add`)';
  return table([
    ['email', 'name', 'role', 'status', 'id'],
    ...users.map((u) => [u.email, u.name, u.role, u.disabledAt ? 'disabled' : 'active', u.id]),
  ]);
}
