// Administration: users and their roles, queue membership, ingestion API keys. Admins only
// (`user:admin`, `key:admin`); every change is audited on the `security` stream by the services.
import {
  apiKeyRef,
  createApiKeyInput,
  createUserInput,
  queueMemberInput,
  setUserQueuesInput,
  updateUserInput,
  userRef,
} from '@signoff/core';
import {
  addQueueMember,
  createApiKey,
  createUser,
  getUser,
  listApiKeys,
  listQueues,
  listUsers,
  queuesOf,
  removeQueueMember,
  revokeApiKey,
  setUserDisabled,
  setUserQueues,
  updateUser,
} from '@signoff/governance';
import { requirePermission, router } from './trpc';

// Staff accounts are administered by their sign-in e-mail: these paths are account data, not item
// data, and stay unmasked for the admins who may call these procedures (every other string is masked).
const account = { unmasked: ['email'] };
const accountList = { unmasked: ['*.email'] };

const actorOf = (user: { id: string }) => ({ type: 'user' as const, id: user.id });

export const usersRouter = router({
  /** Every user with the queues they are a member of. */
  list: requirePermission('user:admin', accountList).query(({ ctx }) => listUsers(ctx.db)),
  create: requirePermission('user:admin', account)
    .input(createUserInput)
    .mutation(({ ctx, input }) => ctx.db.transaction().execute((trx) => createUser(trx, input, actorOf(ctx.user)))),
  /** Name, role or password; a new password ends the user's sessions. */
  update: requirePermission('user:admin', account)
    .input(updateUserInput)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute((trx) => updateUser(trx, input.userId, input, actorOf(ctx.user))),
    ),
  disable: requirePermission('user:admin', { unmasked: ['user.email'] })
    .input(userRef)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute((trx) => setUserDisabled(trx, input.userId, true, actorOf(ctx.user))),
    ),
  enable: requirePermission('user:admin', { unmasked: ['user.email'] })
    .input(userRef)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute((trx) => setUserDisabled(trx, input.userId, false, actorOf(ctx.user))),
    ),
  /** The queues a user is a member of. */
  memberships: requirePermission('user:admin')
    .input(userRef)
    .query(async ({ ctx, input }) => {
      const user = await getUser(ctx.db, input.userId);
      return { userId: user.id, queues: await queuesOf(ctx.db, user.id) };
    }),
  /** Makes these exactly the user's queues: each membership added or removed is audited. */
  setQueues: requirePermission('user:admin')
    .input(setUserQueuesInput)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute((trx) => setUserQueues(trx, input.userId, input.queues, actorOf(ctx.user))),
    ),
});

export const queuesRouter = router({
  /** Every known queue (registered workflows route to it, it has members, or open tasks) with its members. */
  list: requirePermission('user:admin', { unmasked: ['*.members.*.email'] }).query(({ ctx }) => listQueues(ctx.db)),
  /** `changed` is false when the user already was a member. */
  addMember: requirePermission('user:admin')
    .input(queueMemberInput)
    .mutation(async ({ ctx, input }) => ({
      changed: await ctx.db.transaction().execute((trx) => addQueueMember(trx, input, actorOf(ctx.user))),
    })),
  /** `changed` is false when the user was not a member. */
  removeMember: requirePermission('user:admin')
    .input(queueMemberInput)
    .mutation(async ({ ctx, input }) => ({
      changed: await ctx.db.transaction().execute((trx) => removeQueueMember(trx, input, actorOf(ctx.user))),
    })),
});

export const apiKeysRouter = router({
  /** Every key with its scopes (never the key itself). */
  list: requirePermission('key:admin').query(({ ctx }) => listApiKeys(ctx.db)),
  /** The answer holds the key; it is not stored and cannot be shown again. */
  create: requirePermission('key:admin', { unmasked: ['key'] })
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) =>
      ctx.db
        .transaction()
        .execute((trx) => createApiKey(trx, { name: input.name, scopes: input.scopes }, actorOf(ctx.user))),
    ),
  revoke: requirePermission('key:admin')
    .input(apiKeyRef)
    .mutation(({ ctx, input }) =>
      ctx.db.transaction().execute((trx) => revokeApiKey(trx, input.keyId, actorOf(ctx.user))),
    ),
});
