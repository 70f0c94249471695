import { randomUUID } from 'node:crypto';
import type { ItemStatus } from '@signoff/core';
import type { DB } from '@signoff/db';
import { upsertUser } from '@signoff/governance';
import { type Kysely, sql, type Transaction } from 'kysely';

/** One person's verdict on a decision: a review (default) or a lead's adjudication. */
export interface VerdictSpec {
  reviewer: string;
  label: string;
  /** Its review point's answer (default true); the other slots of a four-eyes point are not. */
  final?: boolean;
  adjudicated?: boolean;
}

/** One decision to insert, with its item, state run, and the verdicts given on it. */
export interface DecisionSpec {
  workflow?: string;
  state?: string;
  at: string;
  route?: 'auto' | 'review' | 'sampled';
  label?: string | null;
  raw?: number;
  calibrated?: number;
  model?: string;
  modelVersion?: string;
  itemStatus?: ItemStatus;
  /** A key of `policyVersions` given to `insertDecisions`. */
  policy?: string;
  /** A key of `certificates` given to `insertDecisions`. */
  certificate?: string;
  reasons?: { code: string; message: string }[];
  verdicts?: VerdictSpec[];
}

async function workflowVersion(trx: Transaction<DB>, workflow: string, known: Map<string, string>) {
  const found = known.get(workflow);
  if (found) return found;
  const id = (
    await trx
      .insertInto('workflow_versions')
      .values({ name: workflow, version: 1, hash: randomUUID(), definition: JSON.stringify({ name: workflow }) })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  known.set(workflow, id);
  return id;
}

/**
 * Inserts decisions exactly as specified (times, routes, confidences, verdicts), for search tests
 * whose expected answers are written by hand. `policies` and `certificates` name rows to create;
 * specs refer to them by name. Returns the decisions' and items' ids by spec key, and the ids of
 * the policies, certificates and reviewers.
 */
export async function insertDecisions(
  db: Kysely<DB>,
  specs: Record<string, DecisionSpec>,
  named: { policies?: string[]; certificates?: string[] } = {},
) {
  const reviewerIds = new Map<string, string>();
  const emails = new Set(Object.values(specs).flatMap((s) => (s.verdicts ?? []).map((v) => v.reviewer)));
  for (const email of emails)
    reviewerIds.set(
      email,
      (await upsertUser(db, { email, name: email.split('@')[0] ?? email, role: 'reviewer', password: 'x' })).id,
    );
  const decisionIds = new Map<string, string>();
  const itemIds = new Map<string, string>();
  const policyIds = new Map<string, string>();
  const certificateIds = new Map<string, string>();
  await db.transaction().execute(async (trx) => {
    for (const name of named.certificates ?? [])
      certificateIds.set(
        name,
        (
          await trx
            .insertInto('certificates')
            .values({
              workflow_name: 'refunds',
              state: 'classify',
              agent: 'classifier',
              model_version: 'v1',
              confidence_method: 'posterior',
              prompt_version: 'p1',
              max_error: 0.05,
              confidence: 0.95,
              threshold: 0.8,
              labels_used: 100,
              wrong_used: 1,
              upper_bound: 0.04,
              expected_automation: 0.7,
              evidence: JSON.stringify({}),
              window_from: new Date('2026-01-01T00:00:00Z'),
              window_to: new Date('2026-02-01T00:00:00Z'),
              created_by: JSON.stringify({ type: 'system', id: 'test' }),
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    for (const [i, name] of (named.policies ?? []).entries())
      policyIds.set(
        name,
        (
          await trx
            .insertInto('policy_versions')
            .values({
              workflow_name: 'refunds',
              state: 'classify',
              version: i + 1,
              max_error: 0.05,
              confidence: 0.95,
              audit_rate: 0.05,
              status: 'certified',
              certificate_id: null,
              reason: `policy ${name}`,
              created_by: JSON.stringify({ type: 'system', id: 'test' }),
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    const versions = new Map<string, string>();
    for (const [key, s] of Object.entries(specs)) {
      const workflow = s.workflow ?? 'refunds';
      const state = s.state ?? 'classify';
      const at = new Date(s.at);
      const versionId = await workflowVersion(trx, workflow, versions);
      const itemId = (
        await trx
          .insertInto('items')
          .values({
            workflow_name: workflow,
            workflow_version_id: versionId,
            input: JSON.stringify({ key }),
            status: s.itemStatus ?? 'succeeded',
            current_state: s.itemStatus === 'waiting' ? state : null,
            created_at: sql<Date>`${s.at}::timestamptz`,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      itemIds.set(key, itemId);
      const run = await trx
        .insertInto('state_runs')
        .values({
          item_id: itemId,
          state,
          visit: 1,
          kind: 'decide',
          status: 'done',
          output: null,
          next_state: null,
          started_at: at,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const label = s.label === undefined ? 'yes' : s.label;
      const decisionId = (
        await trx
          .insertInto('decisions')
          .values({
            item_id: itemId,
            state_run_id: run.id,
            state,
            agent: 'classifier',
            provider: 'local',
            model: s.model ?? 'm1',
            model_version: s.modelVersion ?? 'v1',
            prompt_version: 'p1',
            input_hash: randomUUID(),
            input_text: `message ${key}`,
            output: JSON.stringify({ label }),
            label,
            confidence: s.raw ?? 0.5,
            confidence_method: 'posterior',
            calibrated_confidence: s.calibrated ?? 0.5,
            route: s.route ?? 'auto',
            reasons: JSON.stringify(s.reasons ?? []),
            latency_ms: 1,
            tokens_in: null,
            tokens_out: null,
            policy_version_id: s.policy ? (policyIds.get(s.policy) ?? null) : null,
            certificate_id: s.certificate ? (certificateIds.get(s.certificate) ?? null) : null,
            created_at: sql<Date>`${s.at}::timestamptz`,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      decisionIds.set(key, decisionId);
      for (const [slot, v] of (s.verdicts ?? []).entries()) {
        const reviewerId = reviewerIds.get(v.reviewer) as string;
        let reviewId: string | null = null;
        if (!v.adjudicated) {
          const task = await trx
            .insertInto('review_tasks')
            .values({
              item_id: itemId,
              state,
              visit: 1,
              slot: slot + 1,
              decision_id: decisionId,
              kind: s.route === 'sampled' ? 'qa' : 'decision',
              queue: 'q',
              status: 'done',
              labels: JSON.stringify(['yes', 'no']),
              instructions: '',
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          reviewId = (
            await trx
              .insertInto('reviews')
              .values({
                task_id: task.id,
                reviewer_id: reviewerId,
                verdict: v.label === label ? 'confirm' : 'correct',
                label: v.label,
              })
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id;
        }
        await trx
          .insertInto('labels')
          .values({
            item_id: itemId,
            state,
            decision_id: decisionId,
            review_id: reviewId,
            workflow_name: workflow,
            workflow_version_id: versionId,
            agent: 'classifier',
            model: s.model ?? 'm1',
            model_version: s.modelVersion ?? 'v1',
            prompt_version: 'p1',
            input_text: `message ${key}`,
            ai_label: label,
            ai_confidence: s.calibrated ?? 0.5,
            human_label: v.label,
            is_correction: v.label !== label,
            reason: v.label !== label ? 'wrong' : null,
            reviewer_id: reviewerId,
            adjudicated: v.adjudicated ?? false,
            final: v.final ?? true,
            created_at: new Date(at.getTime() + (slot + 1) * 60_000),
          })
          .execute();
      }
    }
  });
  return { decisionIds, itemIds, policyIds, certificateIds, reviewerIds };
}

// key: workflow/state, decided at, route, AI label, raw / calibrated confidence, model version,
// item status, policy, certificate, verdicts (final label; "over" = overridden).
//  A refunds/classify 11-05      auto    yes  .95/.85  m1 v1 succeeded pv1 c1  -
//  B refunds/classify 11-10      auto    yes  .80/.90  m1 v1 succeeded pv1 c1  -
//  C refunds/classify 11-15      sampled no   .70/.88  m1 v2 succeeded pv2     ada: yes (over)
//  D refunds/classify 11-20      review  no   .50/.40  m1 v2 waiting   pv2     bob: no
//  E refunds/triage   10-31 23:59:59.999 auto yes .60/.50 m1 v1 succeeded     -
//  F refunds/classify 12-01 00:00 auto   yes  .55/.50  m1 v1 succeeded        -
//  G orders/classify  11-12      auto    yes  .72/.70  m2 v1 succeeded        -
//  H orders/classify  11-25      review  null 0/0      m2 v1 rejected         ada: no (over: the AI gave none)
//  I refunds/classify 11-18      review  yes  .65/.60  m1 v1 succeeded        bob yes, carol no (not final), dave adjudicates no (over)
//  J refunds/classify 11-08      auto    yes  .99/.89  m1 v1 succeeded        -
//  K refunds/classify 11-01 00:00 auto   yes  .95/.95  m1 v1 running          -
/** Decisions with hand-chosen fields; tests of decision search and of the items list work their answers out from this table. */
export const SEARCH_SPECS: Record<string, DecisionSpec> = {
  A: { at: '2026-11-05T10:00:00Z', raw: 0.95, calibrated: 0.85, policy: 'pv1', certificate: 'c1' },
  B: { at: '2026-11-10T10:00:00Z', raw: 0.8, calibrated: 0.9, policy: 'pv1', certificate: 'c1' },
  C: {
    at: '2026-11-15T10:00:00Z',
    route: 'sampled',
    label: 'no',
    raw: 0.7,
    calibrated: 0.88,
    modelVersion: 'v2',
    policy: 'pv2',
    verdicts: [{ reviewer: 'ada@search.test', label: 'yes' }],
  },
  D: {
    at: '2026-11-20T10:00:00Z',
    route: 'review',
    label: 'no',
    raw: 0.5,
    calibrated: 0.4,
    modelVersion: 'v2',
    itemStatus: 'waiting',
    policy: 'pv2',
    reasons: [{ code: 'low_confidence', message: 'confidence 0.40 below 0.80' }],
    verdicts: [{ reviewer: 'bob@search.test', label: 'no' }],
  },
  E: { at: '2026-10-31T23:59:59.999Z', state: 'triage', raw: 0.6, calibrated: 0.5 },
  F: { at: '2026-12-01T00:00:00Z', raw: 0.55, calibrated: 0.5 },
  G: { at: '2026-11-12T10:00:00Z', workflow: 'orders', raw: 0.72, calibrated: 0.7, model: 'm2' },
  H: {
    at: '2026-11-25T10:00:00Z',
    workflow: 'orders',
    route: 'review',
    label: null,
    raw: 0,
    calibrated: 0,
    model: 'm2',
    itemStatus: 'rejected',
    verdicts: [{ reviewer: 'ada@search.test', label: 'no' }],
  },
  I: {
    at: '2026-11-18T10:00:00Z',
    route: 'review',
    raw: 0.65,
    calibrated: 0.6,
    verdicts: [
      { reviewer: 'bob@search.test', label: 'yes', final: false },
      { reviewer: 'carol@search.test', label: 'no', final: false },
      { reviewer: 'dave@search.test', label: 'no', adjudicated: true },
    ],
  },
  J: { at: '2026-11-08T10:00:00Z', raw: 0.99, calibrated: 0.89 },
  K: { at: '2026-11-01T00:00:00Z', raw: 0.95, calibrated: 0.95, itemStatus: 'running' },
};

/**
 * `n` decisions of workflow `workflow`: the g-th at `base` plus (g mod 50) microseconds, so many
 * share a time exactly and all of them fall within one millisecond; every third is `review`.
 */
export async function insertBulkDecisions(db: Kysely<DB>, workflow: string, n: number, base: string): Promise<void> {
  await sql`
    WITH v AS (
      INSERT INTO workflow_versions (name, version, hash, definition)
      SELECT ${workflow}, coalesce(max(version), 0) + 1, gen_random_uuid()::text, '{}'
        FROM workflow_versions WHERE name = ${workflow} RETURNING id),
    i AS (
      INSERT INTO items (workflow_name, workflow_version_id, input, status, created_at)
      SELECT ${workflow}, v.id, jsonb_build_object('g', g), 'succeeded',
             ${base}::timestamptz + (g % 50) * interval '1 microsecond'
        FROM v, generate_series(1, ${n}::int) g
      RETURNING id, created_at, (input->>'g')::int AS g),
    r AS (
      INSERT INTO state_runs (item_id, state, visit, kind, status, started_at)
      SELECT i.id, 'classify', 1, 'decide', 'done', i.created_at FROM i RETURNING id, item_id)
    INSERT INTO decisions (item_id, state_run_id, state, agent, provider, model, model_version, prompt_version,
                           input_hash, input_text, output, label, confidence, confidence_method,
                           calibrated_confidence, route, latency_ms, created_at)
    SELECT i.id, r.id, 'classify', 'classifier', 'local', 'm1', 'v1', 'p1', md5(i.g::text), 'text', '{}',
           'yes', 0.5, 'posterior', 0.5, CASE WHEN i.g % 3 = 0 THEN 'review' ELSE 'auto' END, 1, i.created_at
      FROM i JOIN r ON r.item_id = i.id`.execute(db);
}
