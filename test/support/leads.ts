// A lead's world for the leads suites: queues with members, leads who lead some of them and not
// others, reviewers, and review tasks made by real workflows (decide states answered by the local
// model, review steps). Procedures are called through `createCaller` as each person.
import { createLocalProvider } from '@signoff/ai';
import { appRouter, createCallerFactory } from '@signoff/api';
import { defineWorkflow, type Role } from '@signoff/core';
import type { ReviewTask } from '@signoff/db';
import { executeStep } from '@signoff/engine';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from './database';
import { startTestEngine, type TestEngine } from './engine';
import { joinQueues } from './queue-members';

const decide = (name: string, queue: string) =>
  defineWorkflow({
    name,
    input: z.object({ text: z.string() }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: 'lead-intent', instructions: 'Refund request or not?' },
        labels: ['refund', 'other'],
        text: (ctx) => ctx.input.text,
        // Nothing is confident enough: every decision goes to a person.
        policy: { autoAcceptAt: 1, queue },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });

const review = (
  name: string,
  queue: string,
  extra: { dueInMinutes?: number; escalateTo?: string; reviewers?: number } = {},
) =>
  defineWorkflow({
    name,
    input: z.object({ n: z.number() }),
    start: 'approve',
    states: {
      approve: { kind: 'review', queue, labels: ['ok', 'no'], instructions: 'Approve?', ...extra, next: 'done' },
      done: { kind: 'final', status: 'succeeded' },
    },
  });

export const LEAD_WORKFLOWS = [
  decide('refund-flow', 'refunds'),
  decide('claims-flow', 'claims'),
  review('intake-flow', 'intake'),
  review('triage-flow', 'triage', { dueInMinutes: 60, escalateTo: 'escalations' }),
  review('support-flow', 'support'),
  // Four-eyes: two people answer each item; a lead settles a disagreement.
  review('pair-flow', 'refunds', { reviewers: 2 }),
];

export const SEED_EXAMPLES = [
  ...['money back please', 'refund the charge', 'I want a refund'].map((text) => ({ text, label: 'refund' })),
  ...['how do I export', 'app crashes', 'change my email'].map((text) => ({ text, label: 'other' })),
].map((e) => ({ agent: 'lead-intent', ...e }));

/** Who is who, and which queues each works. */
const PEOPLE = {
  lena: { name: 'Lena Lead', role: 'lead', queues: ['refunds', 'claims', 'intake', 'triage'] },
  lou: { name: 'Lou Lead', role: 'lead', queues: ['refunds'] },
  otto: { name: 'Otto Lead', role: 'lead', queues: ['support'] },
  ada: { name: 'Ada Reviewer', role: 'reviewer', queues: ['refunds', 'claims', 'intake', 'triage'] },
  sam: { name: 'Sam Reviewer', role: 'reviewer', queues: ['refunds', 'claims', 'intake'] },
  zed: { name: 'Zed Reviewer', role: 'reviewer', queues: ['support'] },
  cleo: { name: 'Cleo Compliance', role: 'compliance', queues: ['refunds'] },
  root: { name: 'Root Admin', role: 'admin', queues: [] },
} as const satisfies Record<string, { name: string; role: Role; queues: readonly string[] }>;

export type Person = keyof typeof PEOPLE;

export async function createPeople(t: TestDatabase): Promise<Record<Person, SessionUser>> {
  await t.db.insertInto('seed_examples').values(SEED_EXAMPLES).execute();
  const people = {} as Record<Person, SessionUser>;
  for (const [key, p] of Object.entries(PEOPLE)) {
    const user = await upsertUser(t.db, { email: `${key}@leads.test`, name: p.name, role: p.role, password: 'x' });
    await joinQueues(t.db, user.id, p.queues);
    people[key as Person] = user;
  }
  return people;
}

/** The API as `user`, without HTTP. */
export function apiAs(t: TestDatabase, e: TestEngine, user: SessionUser) {
  return createCallerFactory(appRouter)({ db: t.db, boss: e.boss, registry: e.registry, user, token: null });
}

/** A new item of `workflow` run up to its review point: its review tasks, by slot. */
export async function newTasks(t: TestDatabase, e: TestEngine, workflow: string, n = 0): Promise<ReviewTask[]> {
  const decides = workflow === 'refund-flow' || workflow === 'claims-flow';
  const id = await e.submit(workflow, decides ? { text: `refund order ${n}` } : { n });
  const deps = { db: t.db, boss: e.boss, registry: e.registry, provider: createLocalProvider() };
  await executeStep(deps, { itemId: id, state: decides ? 'classify' : 'approve', visit: 1 });
  return t.db.selectFrom('review_tasks').selectAll().where('item_id', '=', id).orderBy('slot').execute();
}

/** A new item of `workflow` run up to its review point: its (first) review task. */
export async function newTask(t: TestDatabase, e: TestEngine, workflow: string, n = 0): Promise<ReviewTask> {
  const [first] = await newTasks(t, e, workflow, n);
  if (!first) throw new Error(`${workflow} made no review task`);
  return first;
}

/** The AI's answer on a decision task, and a label that differs from it (to correct it). */
export async function aiAnswer(t: TestDatabase, task: ReviewTask): Promise<{ label: string; other: string }> {
  const d = await t.db
    .selectFrom('decisions')
    .select('label')
    .where('id', '=', task.decision_id as string)
    .executeTakeFirstOrThrow();
  const label = d.label as string;
  return { label, other: label === 'refund' ? 'other' : 'refund' };
}

/** What a refused call was refused with: its tRPC code and message. */
export async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { code: err.code ?? 'unknown', message: err.message };
  }
  throw new Error('Expected the call to be refused, and it was answered');
}

/** A test file's lead world: its own database, the workflows (no background workers) and the people. */
export interface LeadsWorld {
  t: TestDatabase;
  e: TestEngine;
  people: Record<Person, SessionUser>;
  /** The API as one of the people. */
  as(p: Person): ReturnType<typeof apiAs>;
  newTask(workflow: string, n?: number): Promise<ReviewTask>;
  newTasks(workflow: string, n?: number): Promise<ReviewTask[]>;
}

/** Registers the hooks that build the world before the file's tests and drop it after them. */
export function useLeadsWorld(): LeadsWorld {
  const w = {
    as: (p: Person) => apiAs(w.t, w.e, w.people[p]),
    newTask: (workflow: string, n?: number) => newTask(w.t, w.e, workflow, n),
    newTasks: (workflow: string, n?: number) => newTasks(w.t, w.e, workflow, n),
  } as LeadsWorld;
  beforeAll(async () => {
    w.t = await createTestDatabase();
    w.e = await startTestEngine(w.t, LEAD_WORKFLOWS, { workers: false });
    w.people = await createPeople(w.t);
  });
  afterAll(async () => {
    await w.e?.stop();
    await w.t?.drop();
  });
  return w;
}
