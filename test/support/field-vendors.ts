// A structured workflow whose tax id field declares certified auto-accept: vendor forms read into
// { taxId, amount, name }, for the certified-field tests (integration and browser).
import { defineWorkflow, type RoutingPolicy } from '@signoff/core';
import { z } from 'zod';

export const FIELD_VENDORS = 'field-vendors';
export const FIELD_VENDORS_QUEUE = 'field-vendors';
export const vendorRecord = z.object({ taxId: z.string(), amount: z.number(), name: z.string() });
export type VendorRecord = z.infer<typeof vendorRecord>;

/**
 * The workflow, with `policy` as the test needs it (the tax id's target, whether the record as a
 * whole is certified too); the queue is always FIELD_VENDORS_QUEUE.
 */
export function fieldVendorsFlow(policy: Omit<RoutingPolicy<unknown>, 'queue'>) {
  return defineWorkflow({
    name: FIELD_VENDORS,
    input: z.object({ doc: z.string() }),
    start: 'extract',
    states: {
      extract: {
        kind: 'decide',
        agent: { name: 'field-reader', instructions: 'Read the vendor form.' },
        output: vendorRecord,
        text: (ctx) => ctx.input.doc,
        policy: { ...policy, queue: FIELD_VENDORS_QUEUE },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded', output: (ctx) => ({ vendor: ctx.extract.value }) },
    },
  });
}
