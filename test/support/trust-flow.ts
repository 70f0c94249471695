// A workflow whose one decide state declares certified auto-accept, with tickets whose true label
// travels in the input, so tests can answer review tasks with the truth (or against it).
import { defineWorkflow } from '@signoff/core';
import type { DB } from '@signoff/db';
import { claimNextTask, submitVerdict, type TaskUser } from '@signoff/engine';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { TestEngine } from './engine';

export const TRUST_AGENT = 'trust-intent';
/** Where its reviews and audit samples wait. */
export const TRUST_QUEUE = 'trust';

/** At most 5% wrong with 95% confidence: 59 fair labels, all right, certify a threshold. */
export const trustFlow = defineWorkflow({
  name: 'trust-flow',
  input: z.object({ text: z.string(), truth: z.enum(['refund', 'shipping']) }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: TRUST_AGENT, instructions: 'Refund request or shipping question?' },
      labels: ['refund', 'shipping'],
      text: (ctx) => ctx.input.text,
      policy: { autoAccept: { maxError: 0.05, confidence: 0.95 }, queue: TRUST_QUEUE, sampleRate: 0.5 },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const REFUND = [
  'I want my money back',
  'please refund the charge',
  'refund my order',
  'money back for the broken item',
];
const SHIPPING = ['where is my parcel', 'when will the package arrive', 'track my shipment', 'the delivery is late'];

/** The built-in model's seed examples for `TRUST_AGENT`: the phrases the tickets are made of. */
export const trustSeedExamples = [
  ...REFUND.map((text) => ({ agent: TRUST_AGENT, text, label: 'refund' })),
  ...SHIPPING.map((text) => ({ agent: TRUST_AGENT, text, label: 'shipping' })),
];

/** The i-th ticket: refunds and shipping questions in turn, each with its truth. */
export function trustInput(i: number) {
  const truth = i % 2 === 0 ? ('refund' as const) : ('shipping' as const);
  const phrases = truth === 'refund' ? REFUND : SHIPPING;
  return { text: `${phrases[i % phrases.length]} (ticket ${i})`, truth };
}

/** The label a reviewer gives a ticket: its truth, or (`wrong`) the other one. */
export function trustAnswer(truth: string, wrong = false): string {
  return wrong ? (truth === 'refund' ? 'shipping' : 'refund') : truth;
}

/**
 * Claims and answers every open task of `queue` as `reviewer` (who must be a member of it), with each ticket's truth (from its
 * input) or, with `wrong`, the other label; returns how many it answered.
 */
export async function answerQueue(
  db: Kysely<DB>,
  e: TestEngine,
  reviewer: TaskUser,
  queue: string,
  options: { wrong?: boolean } = {},
): Promise<number> {
  let answered = 0;
  for (;;) {
    const task = await db.transaction().execute((trx) => claimNextTask(trx, e, reviewer, queue));
    if (!task) return answered;
    const item = await db.selectFrom('items').select('input').where('id', '=', task.item_id).executeTakeFirstOrThrow();
    const label = trustAnswer((item.input as { truth: string }).truth, options.wrong);
    const decision = await db
      .selectFrom('decisions')
      .select('label')
      .where('id', '=', task.decision_id as string)
      .executeTakeFirstOrThrow();
    await db.transaction().execute((trx) =>
      submitVerdict(trx, e, reviewer.id, {
        taskId: task.id,
        ...(decision.label === label
          ? { verdict: 'confirm' as const }
          : { verdict: 'correct' as const, label, reason: 'the ticket says otherwise' }),
      }),
    );
    answered++;
  }
}
