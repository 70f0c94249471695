import { defineWorkflow } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';

export const AGENT = 'bench-classifier';
export const LABELS = ['billing', 'bug', 'account', 'how_to', 'complaint'] as const;

/**
 * Four states, one of each kind that runs without a human: an AI decision every answer of which is
 * accepted (`autoAcceptAt: 0`), a choice on its label, a trivial task and the final state.
 */
export const benchWorkflow = defineWorkflow({
  name: 'bench-triage',
  description: 'Benchmark: decide -> choice -> task -> final, no human in the loop',
  input: z.object({ text: z.string().min(1) }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: AGENT, instructions: 'Classify the support ticket by topic.' },
      labels: LABELS,
      text: (c) => c.input.text,
      policy: { autoAcceptAt: 0, queue: 'bench-review' },
      next: 'route',
    },
    route: {
      kind: 'choice',
      branches: [{ when: (c) => c.classify.label === 'complaint', next: 'act', label: 'complaint' }],
      otherwise: 'act',
    },
    act: { kind: 'task', run: () => ({ done: true }), next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const PHRASES: Record<(typeof LABELS)[number], string[]> = {
  billing: [
    'I was charged twice for my subscription',
    'please send me an invoice for last month',
    'my credit card payment was declined',
    'I want a refund for the annual plan',
    'why did the price of my plan go up',
  ],
  bug: [
    'the app crashes when I upload a file',
    'the export button does nothing',
    'I get an error 500 on the dashboard',
    'search results are empty since the update',
    'the page freezes after login',
  ],
  account: [
    'I cannot reset my password',
    'please change the email address on my account',
    'how do I delete my account',
    'my account was locked after two attempts',
    'add a second admin user to our team',
  ],
  how_to: [
    'how do I connect the calendar integration',
    'where can I find the API documentation',
    'how can I export my data to csv',
    'is there a keyboard shortcut for search',
    'how do I set up two factor authentication',
  ],
  complaint: [
    'your support never answers my emails',
    'this is the worst service I have used',
    'I am very unhappy with the last update',
    'nobody called me back as promised',
    'I waited three weeks and nothing happened',
  ],
};
const OPENINGS = ['', 'Hello, ', 'Hi team, ', 'Urgent: '];

/** About 100 labelled examples (20 per label) for the local model to train on at first use. */
export async function seedExamples(db: Kysely<DB>): Promise<number> {
  const rows = LABELS.flatMap((label) =>
    PHRASES[label].flatMap((phrase) => OPENINGS.map((o) => ({ agent: AGENT, text: `${o}${phrase}`, label }))),
  );
  await db.insertInto('seed_examples').values(rows).execute();
  return rows.length;
}

/** The text of the i-th benchmark item: a known phrase made unique by a ticket number. */
export function itemText(i: number): string {
  const label = LABELS[i % LABELS.length] as (typeof LABELS)[number];
  const phrases = PHRASES[label];
  return `${phrases[Math.floor(i / LABELS.length) % phrases.length]} (ticket ${i})`;
}
