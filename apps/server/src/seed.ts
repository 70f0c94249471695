import { addSeedExamples } from '@signoff/ai';
import type { Role } from '@signoff/core';
import type { DB } from '@signoff/db';
import { submitItems, type WorkflowRegistry } from '@signoff/engine';
import { addQueueMember, createApiKey, findApiKey, SYSTEM, upsertUser } from '@signoff/governance';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';
import {
  generateSupportItems,
  generateVendorSubmissions,
  supportSeedExamples,
  supportTriage,
  vendorClauseSeedExamples,
  vendorOnboarding,
} from './demo';
import { seedSupportHistory } from './demo/support-history';
import { withDemoPii } from './demo/support-pii';
import { seedVendorHistory } from './demo/vendor-history';

export const DEMO_PASSWORD = 'signoff-demo';
/** Demo items submitted per transaction. */
const SEED_BATCH = 500;

export const DEMO_API_KEY = 'sk_signoff_demo_key_for_local_use_only';

/** The demo's review queues (the support workflow's, its escalations, stuck items, vendor onboarding's). */
export const DEMO_QUEUES = ['support', 'refunds', 'priority', 'escalations', 'vendors', 'legal'] as const;

/** Vendor submissions the demo seeds at most (fewer when fewer demo items are asked for). */
export const DEMO_VENDOR_ITEMS = 60;

/** Demo users, with the queues each works (admins reach every queue without membership). */
export const DEMO_USERS: { email: string; name: string; role: Role; queues?: readonly string[] }[] = [
  {
    email: 'reviewer@demo.signoff',
    name: 'Riley Reviewer',
    role: 'reviewer',
    queues: ['support', 'refunds', 'priority', 'vendors'],
  },
  { email: 'reviewer2@demo.signoff', name: 'Sam Second', role: 'reviewer', queues: ['support', 'refunds', 'vendors'] },
  { email: 'lead@demo.signoff', name: 'Lee Lead', role: 'lead', queues: DEMO_QUEUES },
  { email: 'compliance@demo.signoff', name: 'Casey Compliance', role: 'compliance' },
  { email: 'data@demo.signoff', name: 'Dana Data', role: 'data_scientist' },
  { email: 'legal@demo.signoff', name: 'Lou Legal', role: 'reviewer', queues: ['legal'] },
  { email: 'admin@demo.signoff', name: 'Alex Admin', role: 'admin' },
];

/** The examples the built-in support and contract-clause classifiers start from. Safe to run again. */
export async function seedExamples(db: Kysely<DB>): Promise<void> {
  const agent = (supportTriage.states.classify as { agent: { name: string } }).agent.name;
  await addSeedExamples(db, agent, supportSeedExamples);
  const clauses = (vendorOnboarding.states.clauseRisk as { agent: { name: string } }).agent.name;
  await addSeedExamples(db, clauses, vendorClauseSeedExamples);
}

/** The demo reviewers of the `vendors` queue, who labelled the vendor history. */
function vendorReviewers(users: { id: string; email: string }[]): string[] {
  const emails = DEMO_USERS.filter((u) => u.role === 'reviewer' && u.queues?.includes('vendors')).map((u) => u.email);
  return users.filter((u) => emails.includes(u.email)).map((u) => u.id);
}

/**
 * Demo users, an API key, the classifiers' seed examples, `items` generated support tickets and
 * (when vendor-onboarding is registered) the vendor history and up to `DEMO_VENDOR_ITEMS` vendor submissions.
 * Idempotent: users are updated, items carry idempotency keys, so a restart adds nothing twice.
 */
export async function seedDemo(
  db: Kysely<DB>,
  deps: { registry: WorkflowRegistry; boss: PgBoss },
  options: {
    items: number;
    historyDays?: number;
    /** Vendor submissions (default: `DEMO_VENDOR_ITEMS`, at most `items`). */
    vendorItems?: number;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ submitted: number; history: number }> {
  const users = [];
  for (const { queues, ...u } of DEMO_USERS) {
    const user = await upsertUser(db, { ...u, password: DEMO_PASSWORD });
    users.push(user);
    for (const queue of queues ?? [])
      await db.transaction().execute((trx) => addQueueMember(trx, { queue, userId: user.id }, SYSTEM));
  }
  if (!(await findApiKey(db, DEMO_API_KEY)))
    await db
      .transaction()
      .execute((trx) => createApiKey(trx, { name: 'demo ingestion key', secret: DEMO_API_KEY }, SYSTEM));
  await seedExamples(db);
  const reviewerIds = users.filter((u) => u.role === 'reviewer').map((u) => u.id);
  let { items: history } = options.historyDays
    ? await seedSupportHistory(db, {
        days: options.historyDays,
        reviewerIds,
        leadId: users.find((u) => u.role === 'lead')?.id,
      })
    : { items: 0 };
  const support = withDemoPii(generateSupportItems(options.items)).map((it) => ({
    ...it,
    workflow: supportTriage.name,
  }));
  // Vendor onboarding, when this server runs it: its history first, so the extractor has learnt
  // from past corrections before the first new submission is read.
  const vendorCount = deps.registry.latest(vendorOnboarding.name)
    ? (options.vendorItems ?? Math.min(DEMO_VENDOR_ITEMS, options.items))
    : 0;
  const vendorHistory =
    vendorCount > 0 ? await seedVendorHistory(db, { reviewerIds: vendorReviewers(users) }) : { items: 0 };
  const vendors = generateVendorSubmissions(vendorCount).map((v) => ({
    idempotencyKey: v.idempotencyKey,
    input: v.input,
    workflow: vendorOnboarding.name,
  }));
  const items = [...support, ...vendors];
  let submitted = 0;
  for (let from = 0; from < items.length; from += SEED_BATCH) {
    const batch = items.slice(from, from + SEED_BATCH);
    const results = await db.transaction().execute((trx) =>
      submitItems(
        trx,
        deps,
        batch.map((it) => ({ workflow: it.workflow, input: it.input, idempotencyKey: it.idempotencyKey })),
        SYSTEM,
      ),
    );
    for (const r of results) {
      if (!r.ok) throw new Error(`A demo item was refused: ${r.error.message}`);
      if (r.created) submitted++;
    }
    options.onProgress?.(from + batch.length, items.length);
  }
  history += vendorHistory.items;
  return { submitted, history };
}
