// What compliance and admins ask the `retention` router: the server and the console agree on these.
// No I/O: the console may bundle this file.
import { z } from 'zod';

/** A workflow's name, as registered (lowercase letters, digits and dashes). */
const workflowName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,62}$/,
    'Expected a workflow name: lowercase letters, digits and dashes, e.g. support-triage',
  );

/** Retention per workflow (`retention.status`): all of them, or one. */
export const retentionStatusInput = z.strictObject({ workflow: workflowName.optional() }).default({});

/**
 * A purge by hand (`retention.purge`): every workflow's items past retention, or one workflow's.
 * A dry run (the default) counts and changes nothing; `dryRun: false` purges, audited.
 */
export const retentionPurgeInput = z.strictObject({
  workflow: workflowName.optional(),
  dryRun: z.boolean({ error: 'dryRun must be true or false' }).default(true),
});
export type RetentionPurgeInput = z.infer<typeof retentionPurgeInput>;
