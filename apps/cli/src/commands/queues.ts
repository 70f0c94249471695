// `signoff queues list|add|remove`: who works which review queue, audited as the CLI.
import {
  addQueueMember,
  getUser,
  listQueues,
  type QueueListing,
  removeQueueMember,
  type UserAccount,
} from '@signoff/governance';
import type { Command } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';
import { CLI_ACTOR, jsonLines, table } from './admin-common';
import { parseQueues } from './users';

/**
 * Adds `signoff queues ...` to the program. Reviewers and leads claim and read only their queues'
 * tasks; admins reach every queue without membership. Exit codes: 0 done, 2 unusable input (an
 * empty queue name), 4 unknown user.
 *
 * @example
 * registerQueuesCommand(program);
 * // $ signoff queues add refunds kim@bank.example
 */
export function registerQueuesCommand(program: Command): Command {
  const queues = program.command('queues').description('Review queues and their members: list, add, remove');

  queues
    .command('list')
    .description('List every known queue (workflows route to it, it has members or open tasks) with its members')
    .option('--json', 'one JSON object per line')
    .action((opts: { json?: boolean }) =>
      reportingErrors(async () => {
        const all = await withDatabase(listQueues);
        console.log(opts.json ? jsonLines(all) : formatQueues(all));
      }),
    );

  for (const adding of [true, false])
    queues
      .command(adding ? 'add' : 'remove')
      .description(adding ? 'Make users members of a queue' : "End users' membership of a queue")
      .argument('<queue>', 'the queue, as workflows name it')
      .argument('<users...>', 'emails or ids')
      .action((queueArg: string, refs: string[]) =>
        reportingErrors(async () => {
          const [queue] = parseQueues([queueArg]) as [string];
          const lines = await withDatabase(async (db) => {
            const targets: UserAccount[] = [];
            for (const ref of refs) targets.push(await getUser(db, ref));
            return db.transaction().execute(async (trx) => {
              const out: string[] = [];
              for (const user of targets) {
                const input = { queue, userId: user.id };
                const changed = adding
                  ? await addQueueMember(trx, input, CLI_ACTOR)
                  : await removeQueueMember(trx, input, CLI_ACTOR);
                const what = adding
                  ? changed
                    ? `is now a member of ${queue}`
                    : `was already a member of ${queue}`
                  : changed
                    ? `is no longer a member of ${queue}`
                    : `was not a member of ${queue}`;
                out.push(`[signoff] ${user.email} ${what}`);
              }
              return out;
            });
          });
          console.log(lines.join('\n'));
        }),
      );
  return queues;
}

function formatQueues(queues: QueueListing[]): string {
  if (queues.length === 0) return 'no queues (register a workflow, or add a member with `signoff queues add`)';
  return table([
    ['queue', 'open tasks', 'workflows', 'members'],
    ...queues.map((q) => [
      q.queue,
      String(q.openTasks),
      q.workflows.join(',') || '-',
      q.members.map((m) => `${m.email} (${m.role}${m.disabled ? ', disabled' : ''})`).join(', ') || '-',
    ]),
  ]);
}
