// PII (issue 12): every answer is masked (see `maskOutput` in trpc.ts); this router is the one
// explicit, audited way to reveal a field.
import { uuid } from '@signoff/core';
import { unmaskItemField } from '@signoff/governance';
import { z } from 'zod';
import { requirePermission, router } from './trpc';

export const unmaskInput = z.strictObject({
  itemId: uuid,
  path: z
    .string()
    .min(2, 'path is a JSON Pointer such as /input/customer/email')
    .max(1000, 'path is at most 1,000 characters'),
  reason: z.string().trim().max(500, 'reason is at most 500 characters').optional(),
});

export const piiRouter = router({
  /**
   * Reveals one field (`path`, a JSON Pointer into the item: `/input/...`, `/context/...`,
   * `/runs/<state>/<visit>/output/...`, `/decisions/<id>/<field>/...`, `/tasks/<id>/<field>/...`)
   * unmasked, and audits it as `pii.unmasked` on the security stream. Needs `pii:read`.
   */
  unmask: requirePermission('pii:read', { unmasked: ['value'] })
    .input(unmaskInput)
    .mutation(({ ctx, input }) =>
      ctx.db
        .transaction()
        .execute((trx) =>
          unmaskItemField(trx, { ...input, reason: input.reason || undefined }, { type: 'user', id: ctx.user.id }),
        ),
    ),
});
