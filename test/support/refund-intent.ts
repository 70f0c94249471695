import { defineWorkflow } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';

/**
 * A workflow of one decide state: `agent` says whether a text is a refund request, auto-accepted
 * at a confidence of 0.75, else reviewed in the `refunds` queue. With `seedRefundExamples` the
 * built-in model answers it.
 */
export function refundIntentWorkflow(name: string, agent: string) {
  return defineWorkflow({
    name,
    input: z.object({ text: z.string() }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: agent, instructions: 'Is this a refund request?' },
        labels: ['refund', 'other'],
        text: (ctx) => ctx.input.text,
        policy: { autoAcceptAt: 0.75, queue: 'refunds' },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
}

/** Four seed examples of each label for `agent`, so the built-in model can decide `refundIntentWorkflow`. */
export async function seedRefundExamples(db: Kysely<DB>, agent: string): Promise<void> {
  const refunds = ['I want my money back', 'please refund the duplicate charge', 'refund my order now'];
  const others = ['how do I export a report', 'the app crashes on login', 'change my email address'];
  await db
    .insertInto('seed_examples')
    .values([
      ...[...refunds, 'charged twice, refund please'].map((text) => ({ agent, text, label: 'refund' })),
      ...[...others, 'great product, thanks'].map((text) => ({ agent, text, label: 'other' })),
    ])
    .execute();
}
