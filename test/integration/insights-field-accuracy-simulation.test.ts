// Per-field accuracy is honest (issue 13): on simulated histories with known per-field error rates,
// the automated path's interval of each field's accuracy covers the truth at least as often as its
// 95% level says, and its point estimate is unbiased. 200 seeds, each a workflow of 300 auto-accepted
// structured decisions in two strata of audit probability (0.1 and 0.4) whose error rates differ
// (the tax id is wrong 15% of the time in one, 5% in the other; the amount 2% in both); a drawn
// decision's label changes exactly the fields that are wrong. PostgreSQL writes the rows
// (setseed: the same history every run); one `fieldAccuracy` call reads every seed's point.
import { fieldAccuracy } from '@signoff/insights';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DashboardHistory } from '../support/dashboard-history';
import { createTestDatabase, type TestDatabase } from '../support/database';

const SEEDS = 200;
const PER_SEED = 300;
// Stratum a: pi 0.1, tax id wrong 15%; stratum b: pi 0.4, tax id wrong 5%; the amount 2% in both.
const RATES = { a: { pi: 0.1, taxId: 0.15, amount: 0.02 }, b: { pi: 0.4, taxId: 0.05, amount: 0.02 } };

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  const reviewer = await new DashboardHistory(t.db).reviewer('Sim');
  await t.db.transaction().execute(async (trx) => {
    await sql`SELECT setseed(0.42)`.execute(trx);
    await sql`INSERT INTO workflow_versions (name, version, hash, definition) VALUES ('sim', 1, 'sim', '{}')`.execute(
      trx,
    );
    await sql`
      CREATE TEMP TABLE sim ON COMMIT DROP AS
      SELECT seed, n, gen_random_uuid() AS item_id, gen_random_uuid() AS run_id, gen_random_uuid() AS decision_id,
             gen_random_uuid() AS review_id, gen_random_uuid() AS task_id, stratum,
             CASE stratum WHEN 'a' THEN ${RATES.a.pi}::float8 ELSE ${RATES.b.pi}::float8 END AS pi,
             random() < CASE stratum WHEN 'a' THEN ${RATES.a.taxId}::float8 ELSE ${RATES.b.taxId}::float8 END AS tax_wrong,
             random() < ${RATES.a.amount}::float8 AS amount_wrong,
             random() AS draw
        FROM (SELECT seed, n, CASE WHEN random() < 0.5 THEN 'a' ELSE 'b' END AS stratum
                FROM generate_series(1, ${SEEDS}) seed, generate_series(1, ${PER_SEED}) n) x`.execute(trx);
    await sql`INSERT INTO items (id, workflow_name, workflow_version_id, input, status)
              SELECT item_id, 'sim-' || seed, (SELECT id FROM workflow_versions WHERE name = 'sim'), '{}', 'succeeded' FROM sim`.execute(
      trx,
    );
    await sql`INSERT INTO state_runs (id, item_id, state, visit, kind, status, started_at, finished_at)
              SELECT run_id, item_id, 'extract', 1, 'decide', 'done', '2026-01-06T10:00:00Z', '2026-01-06T10:00:00Z' FROM sim`.execute(
      trx,
    );
    await sql`INSERT INTO decisions (id, item_id, state_run_id, state, agent, provider, model, model_version, prompt_version,
                                     input_hash, input_text, output, label, confidence, confidence_method,
                                     calibrated_confidence, route, latency_ms, audit_probability, created_at)
              SELECT decision_id, item_id, run_id, 'extract', 'reader', 'local', 'm', 'v1', 'p1', decision_id::text, 'text',
                     '{"fields":{"taxId":{"confidence":0.9,"score":0,"method":"posterior"},"amount":{"confidence":0.9,"score":0,"method":"posterior"}}}',
                     '{"x":1}', 0.9, 'posterior', 0.9, CASE WHEN draw < pi THEN 'sampled' ELSE 'auto' END, 1, pi,
                     '2026-01-06T10:00:00Z'
                FROM sim`.execute(trx);
    await sql`INSERT INTO review_tasks (id, item_id, state, visit, queue, kind, status, labels, instructions, decision_id)
              SELECT task_id, item_id, 'extract', 1, 'sim', 'qa', 'done', '[]', '', decision_id FROM sim WHERE draw < pi`.execute(
      trx,
    );
    await sql`INSERT INTO reviews (id, task_id, reviewer_id, verdict, label)
              SELECT review_id, task_id, ${reviewer}, 'answer', '{"x":2}' FROM sim WHERE draw < pi`.execute(trx);
    await sql`INSERT INTO labels (item_id, state, decision_id, review_id, workflow_name, workflow_version_id, agent, model,
                                  model_version, prompt_version, input_text, ai_label, human_label, is_correction,
                                  reviewer_id, changed_fields, created_at)
              SELECT item_id, 'extract', decision_id, review_id, 'sim-' || seed, (SELECT id FROM workflow_versions WHERE name = 'sim'),
                     'reader', 'm', 'v1', 'p1', 'text', '{"x":1}', '{"x":2}', tax_wrong OR amount_wrong, ${reviewer},
                     array_remove(ARRAY[CASE WHEN tax_wrong THEN 'taxId' END, CASE WHEN amount_wrong THEN 'amount' END], NULL),
                     '2026-01-06T11:00:00Z'
                FROM sim WHERE draw < pi`.execute(trx);
    // The truth each seed's interval is judged against: the error rate of its strata as realised.
    await sql`CREATE TABLE sim_truth AS
              SELECT 'sim-' || seed AS workflow,
                     sum(CASE stratum WHEN 'a' THEN ${RATES.a.taxId}::float8 ELSE ${RATES.b.taxId}::float8 END) / count(*) AS tax_error,
                     ${RATES.a.amount}::float8 AS amount_error
                FROM sim GROUP BY seed`.execute(trx);
  });
});
afterAll(() => t.drop());

it('covers each field’s true accuracy at least 95% of the time, and estimates it without bias', async () => {
  const points = await fieldAccuracy(t.db, {
    from: '2026-01-05T00:00:00Z',
    to: '2026-01-12T00:00:00Z',
    state: 'extract',
    bucket: 'week',
  });
  const { rows } = await sql<{ workflow: string; tax_error: number; amount_error: number }>`
    SELECT workflow, tax_error, amount_error FROM sim_truth`.execute(t.db);
  const truth = new Map(rows.map((r) => [r.workflow, r]));
  expect(points).toHaveLength(2 * SEEDS);
  for (const field of ['taxId', 'amount'] as const) {
    const mine = points.filter((p) => p.field === field);
    let covered = 0;
    let bias = 0;
    for (const p of mine) {
      const r = truth.get(p.workflow);
      if (!r) throw new Error(`no truth for ${p.workflow}`);
      const accuracy = 1 - (field === 'taxId' ? r.tax_error : r.amount_error);
      expect(p.automated.population).toBe(PER_SEED);
      if (p.automated.lower <= accuracy && accuracy <= p.automated.upper) covered++;
      bias += (p.automated.accuracy ?? 0) - accuracy;
    }
    // Clopper-Pearson with Bonferroni is conservative: at least 95% (with room for 200 draws, 93%).
    expect(covered / SEEDS, `${field} coverage`).toBeGreaterThanOrEqual(0.93);
    // The mean estimate is within 0.005 of the truth (the standard error of that mean over 200 seeds is about
    // 0.001); counting a field wrong whenever any field changed would put the tax id 0.017 off.
    expect(Math.abs(bias / SEEDS), `${field} bias`).toBeLessThan(0.005);
  }
});
