// Exit codes of the commands that change users and keys, so scripts can tell "already there" from
// "you typed it wrong" without parsing messages.
import { isAppError } from '@signoff/core';
import { InvalidArgumentError } from 'commander';

export const EXIT = {
  ok: 0,
  /** Anything unexpected: the database is unreachable, a bug. */
  failed: 1,
  /** The command was given something unusable: an unknown role, a bad email, no password. */
  usage: 2,
  /** It clashes with what exists: the email is taken, the last active admin. */
  conflict: 3,
  /** What it names does not exist: an unknown user or key id. */
  notFound: 4,
  /** `audit verify`: the record was altered (or is signed by another key). */
  tampered: 5,
} as const;

export function exitCodeOf(e: unknown): number {
  if (e instanceof InvalidArgumentError) return EXIT.usage;
  if (isAppError(e, 'BAD_INPUT')) return EXIT.usage;
  if (isAppError(e, 'CONFLICT')) return EXIT.conflict;
  if (isAppError(e, 'NOT_FOUND')) return EXIT.notFound;
  return EXIT.failed;
}

/**
 * Runs a command's body; an error becomes `error: <message>` on stderr and its exit code.
 *
 * @example
 * .action((email, opts) => reportingErrors(() => addUser(email, opts)));
 */
export async function reportingErrors(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = exitCodeOf(e);
  }
}
