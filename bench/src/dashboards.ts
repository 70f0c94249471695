// pnpm bench:dashboards [--decisions N] [--runs N] [--keep] [--reuse DATABASE] [--database-url URL]
// The dashboards' queries on a year of history: N decisions (default 1,000,000) spread evenly over
// 365 days, one item each, with state runs, review tasks, reviews and labels as the engine writes
// them. Seeded in SQL (generate_series, foreign keys unchecked while seeding), then ANALYZE; each
// dashboard query runs `runs` times (default 20) after one warm-up, unfiltered and narrowed to one
// workflow, with its defaults (the last 30 days). Reports each one's p50 and p95 in
// bench/results/dashboards.md. Target: p95 at most 200 ms on PostgreSQL alone.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, migrateToLatest } from '@signoff/db';
import {
  accuracyOverTime,
  aiUsage,
  automationRate,
  calibrationReport,
  confusionMatrix,
  dashboardOptions,
  overridesPerReviewer,
  queueHealth,
  reviewerAgreement,
  reviewVolume,
  stateTimes,
  throughput,
} from '@signoff/insights';
import { sql } from 'kysely';
import { createDatabase, databaseName, dropDatabase, withDatabase } from './measure';

const { values } = parseArgs({
  options: {
    decisions: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
    /** A database kept by an earlier run (`--keep`): measure again without seeding. */
    reuse: { type: 'string' },
    'database-url': {
      type: 'string',
      default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
});
const N = Number(values.decisions);
const RUNS = Number(values.runs);
if (!Number.isInteger(N) || N < 1000)
  throw new Error(`--decisions must be an integer >= 1000 (got ${values.decisions})`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer (got ${values.runs})`);
const adminUrl = values['database-url'];
const database = values.reuse ?? databaseName('dashboards');
const WORKFLOWS = ['support-triage', 'kyc-review', 'invoice-match'] as const;
const STATES = ['classify', 'screen', 'extract'] as const;
const REVIEWERS = 20;

/**
 * The history, as statements. Decision g (1..N) is made at `now - 365 days x (1 - g/N)`, so rows
 * lie in time order as they would on disk. Confidence c = (g x 7919 mod 1000) / 1000; c >= 0.3
 * auto-accepts (audit probability 0.05, every 20th drawn for QA), below goes to review (pi = 1).
 * The person agrees with the AI with probability about c. Model versions: v1, then v2 from day
 * 180, v3 for the last 60 days. 2% of reviewed decisions get a second person's label (a double
 * review). The last 3,000 routed decisions' tasks are still open.
 */
function seedStatements(n: number): string[] {
  const g = (body: string) => `SELECT ${body} FROM generate_series(1, ${n}) g`;
  const at = `(now() - interval '365 days' * (1 - g::float8 / ${n}))`;
  const c = `((g::bigint * 7919) % 1000) / 1000.0`;
  const wf = `(ARRAY['${WORKFLOWS.join("','")}'])[g % 3 + 1]`;
  const st = `(ARRAY['${STATES.join("','")}'])[g % 3 + 1]`;
  const routed = `(${c} < 0.3)`;
  const sampled = `(NOT ${routed} AND g % 20 = 0)`;
  const reviewed = `(${routed} OR ${sampled})`;
  const open = `(${routed} AND g > ${n} - 3000 * 10 / 3)`;
  const aiLabel = `(ARRAY['a','b','c'])[g % 3 + 1]`;
  const agrees = `(((g * 31) % 1000) / 1000.0 < ${c} + 0.25)`;
  const human = `CASE WHEN ${agrees} THEN ${aiLabel} ELSE (ARRAY['a','b','c'])[(g + 1) % 3 + 1] END`;
  const mv = `CASE WHEN g < ${n} * 180 / 365 THEN 'v1' WHEN g < ${n} * 305 / 365 THEN 'v2' ELSE 'v3' END`;
  // Time-ordered ids, as the engine's UUIDv7: the decision's position first, then the kind of row.
  const KINDS = ['i', 'r', 'rr', 'd', 't', 'v', 'l', 't2', 'v2', 'l2'];
  const id = (kind: string) =>
    `(lpad(to_hex(g), 12, '0') || '${(KINDS.indexOf(kind) + 1).toString(16).padStart(4, '0')}' || '0000000000000000')::uuid`;
  const reviewer = (k: string) => `md5('u' || ((${k}) % ${REVIEWERS}))::uuid`;
  const done = `${at} + make_interval(secs => 60 + g % 7200)`;
  return [
    `INSERT INTO users (id, email, name, role, password_hash)
       SELECT md5('u' || k)::uuid, 'reviewer' || k || '@bench', 'Reviewer ' || k, 'reviewer', 'x'
         FROM generate_series(0, ${REVIEWERS - 1}) k`,
    `INSERT INTO workflow_versions (id, name, version, hash, definition)
       SELECT md5('w' || k)::uuid, (ARRAY['${WORKFLOWS.join("','")}'])[k + 1], 1, md5('w' || k), '{}'
         FROM generate_series(0, 2) k`,
    `INSERT INTO items (id, workflow_name, workflow_version_id, input, status, current_state, created_at, updated_at, finished_at)
       ${g(`${id('i')}, ${wf}, md5('w' || g % 3)::uuid, '{}', CASE WHEN ${open} THEN 'waiting' WHEN g % 50 = 7 THEN 'rejected' WHEN g % 500 = 9 THEN 'failed' ELSE 'succeeded' END,
            CASE WHEN ${open} THEN 'review' END, ${at}, ${at},
            CASE WHEN ${open} THEN NULL WHEN ${routed} THEN ${done} ELSE ${at} + interval '2 seconds' END`)}`,
    `INSERT INTO state_runs (id, item_id, state, visit, kind, status, output, started_at, finished_at, workflow_name)
       ${g(`${id('r')}, ${id('i')}, ${st}, 1, 'decide', 'done', NULL, ${at} - make_interval(secs => (g % 900) / 1000.0 + 0.1), ${at}, ${wf}`)}`,
    `INSERT INTO state_runs (id, item_id, state, visit, kind, status, output, started_at, finished_at, workflow_name)
       ${g(`${id('rr')}, ${id('i')}, 'review', 1, 'review', CASE WHEN ${open} THEN 'waiting' ELSE 'done' END, NULL, ${at},
            CASE WHEN ${open} THEN ${at} ELSE ${done} END, ${wf}`)} WHERE ${routed}`,
    `INSERT INTO decisions (id, item_id, state_run_id, state, agent, provider, model, model_version, prompt_version,
                            input_hash, input_text, output, label, confidence, confidence_method, calibrated_confidence,
                            route, latency_ms, tokens_in, tokens_out, cost_usd, score, audit_probability, created_at, workflow_name)
       ${g(`${id('d')}, ${id('i')}, ${id('r')}, ${st}, 'agent-' || g % 3, 'openai', 'gpt-bench', ${mv}, 'p1',
            md5('h' || g), 'text ' || g, '{}', ${aiLabel}, ${c}, 'logprobs', least(1, ${c} + 0.02),
            CASE WHEN ${routed} THEN 'review' WHEN ${sampled} THEN 'sampled' ELSE 'auto' END,
            100 + g % 900, 300 + g % 200, 20 + g % 30, 0.0001 * (1 + g % 5), ln((${c} + 0.0005) / (1.0005 - ${c})),
            CASE WHEN ${routed} THEN 1 ELSE 0.05 END, ${at}, ${wf}`)}`,
    `INSERT INTO review_tasks (id, item_id, state, visit, decision_id, queue, status, assignee_id, labels, instructions, kind,
                               priority, due_at, created_at, claimed_at, completed_at)
       ${g(`${id('t')}, ${id('i')}, ${st}, 1, ${id('d')}, ${wf}, CASE WHEN ${open} THEN (CASE WHEN g % 10 = 0 THEN 'claimed' ELSE 'pending' END) ELSE 'done' END,
            CASE WHEN ${open} AND g % 10 = 0 THEN ${reviewer('g')} END, '["a","b","c"]', '', CASE WHEN ${routed} THEN 'decision' ELSE 'qa' END,
            0, ${at} + interval '4 hours', ${at}, CASE WHEN NOT ${open} THEN ${at} + interval '30 seconds' END,
            CASE WHEN NOT ${open} THEN ${done} END`)} WHERE ${reviewed}`,
    `INSERT INTO reviews (id, task_id, reviewer_id, verdict, label, created_at)
       ${g(`${id('v')}, ${id('t')}, ${reviewer('g')}, CASE WHEN ${agrees} THEN 'confirm' ELSE 'correct' END, ${human}, ${done}`)}
        WHERE ${reviewed} AND NOT ${open}`,
    `INSERT INTO labels (id, item_id, state, decision_id, review_id, workflow_name, workflow_version_id, agent, model, model_version,
                         prompt_version, input_text, ai_label, ai_confidence, human_label, is_correction, reviewer_id, created_at)
       ${g(`${id('l')}, ${id('i')}, ${st}, ${id('d')}, ${id('v')}, ${wf}, md5('w' || g % 3)::uuid, 'agent-' || g % 3, 'gpt-bench', ${mv},
            'p1', 'text ' || g, ${aiLabel}, ${c}, ${human}, NOT ${agrees}, ${reviewer('g')}, ${done}`)}
        WHERE ${reviewed} AND NOT ${open}`,
    // Double reviews: a QA task on 2% of reviewed decisions, answered by the next reviewer, who
    // agrees with the first person 9 times in 10.
    `INSERT INTO review_tasks (id, item_id, state, visit, decision_id, queue, status, labels, instructions, kind, created_at, completed_at)
       ${g(`${id('t2')}, ${id('i')}, ${st}, 1, ${id('d')}, ${wf}, 'done', '["a","b","c"]', '', 'qa', ${done}, ${done} + interval '1 hour'`)}
        WHERE ${routed} AND NOT ${open} AND g % 50 = 1`,
    `INSERT INTO reviews (id, task_id, reviewer_id, verdict, label, created_at)
       ${g(`${id('v2')}, ${id('t2')}, ${reviewer('g + 1')}, 'answer',
            CASE WHEN g % 10 = 3 THEN (ARRAY['a','b','c'])[(g + 2) % 3 + 1] ELSE ${human} END, ${done} + interval '1 hour'`)}
        WHERE ${routed} AND NOT ${open} AND g % 50 = 1`,
    `INSERT INTO labels (id, item_id, state, decision_id, review_id, workflow_name, workflow_version_id, agent, model, model_version,
                         prompt_version, input_text, ai_label, ai_confidence, human_label, is_correction, reviewer_id, created_at)
       ${g(`${id('l2')}, ${id('i')}, ${st}, ${id('d')}, ${id('v2')}, ${wf}, md5('w' || g % 3)::uuid, 'agent-' || g % 3,
            'gpt-bench', ${mv}, 'p1', 'text ' || g, ${aiLabel}, ${c},
            CASE WHEN g % 10 = 3 THEN (ARRAY['a','b','c'])[(g + 2) % 3 + 1] ELSE ${human} END,
            (CASE WHEN g % 10 = 3 THEN (ARRAY['a','b','c'])[(g + 2) % 3 + 1] ELSE ${human} END) <> ${aiLabel},
            ${reviewer('g + 1')}, ${done} + interval '1 hour'`)}
        WHERE ${routed} AND NOT ${open} AND g % 50 = 1`,
  ];
}

interface Case {
  name: string;
  run: () => Promise<unknown>;
}

function percentile(sorted: number[], p: number): number {
  // Nearest rank: the smallest value with at least p of the runs at or below it.
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

async function main() {
  if (!values.reuse) await createDatabase(adminUrl, database);
  const db = createDb(withDatabase(adminUrl, database), { max: 2, applicationName: 'signoff-bench-dashboards' });
  try {
    const { error } = await migrateToLatest(db);
    if (error) throw error;
    const seedStart = performance.now();
    if (!values.reuse)
      await db.connection().execute(async (c) => {
        // Foreign keys are checked by triggers; the seed's ids are consistent by construction. With
        // triggers off, the seed writes decisions' and state runs' workflow itself (migrations 0017 and 0018's
        // triggers would).
        await sql`SET session_replication_role = replica`.execute(c);
        for (const statement of seedStatements(N)) await sql.raw(statement).execute(c);
        await sql`SET session_replication_role = DEFAULT`.execute(c);
        await sql`ANALYZE`.execute(c);
      });
    const seedSeconds = values.reuse ? Number.NaN : (performance.now() - seedStart) / 1000;
    const counts = await sql<Record<string, string>>`
      SELECT (SELECT count(*) FROM decisions)::text AS decisions, (SELECT count(*) FROM labels)::text AS labels,
             (SELECT count(*) FROM state_runs)::text AS state_runs, (SELECT count(*) FROM review_tasks)::text AS review_tasks,
             (SELECT count(*) FROM items)::text AS items,
             (SELECT count(*) FROM decisions WHERE created_at >= now() - interval '30 days')::text AS decisions_30d,
             pg_size_pretty(pg_database_size(current_database())) AS size`.execute(db);
    console.log(`seeded in ${seedSeconds.toFixed(0)} s:`, counts.rows[0]);

    const one = { workflow: WORKFLOWS[0] };
    const cases: Case[] = [
      { name: 'options', run: () => dashboardOptions(db) },
      { name: 'accuracy (weekly)', run: () => accuracyOverTime(db) },
      { name: 'accuracy (weekly), one workflow', run: () => accuracyOverTime(db, one) },
      { name: 'confusion matrix', run: () => confusionMatrix(db) },
      { name: 'confusion matrix, one workflow', run: () => confusionMatrix(db, one) },
      { name: 'reliability and ECE', run: () => calibrationReport(db) },
      { name: 'automation rate (daily)', run: () => automationRate(db) },
      { name: 'automation rate, one workflow', run: () => automationRate(db, one) },
      { name: 'review volume (daily)', run: () => reviewVolume(db) },
      { name: 'review volume, one workflow', run: () => reviewVolume(db, one) },
      { name: 'queue depth and age', run: () => queueHealth(db) },
      { name: 'time per state', run: () => stateTimes(db) },
      { name: 'time per state, one workflow', run: () => stateTimes(db, one) },
      { name: 'throughput (daily)', run: () => throughput(db) },
      { name: 'overrides per reviewer', run: () => overridesPerReviewer(db) },
      { name: "agreement (Cohen's kappa)", run: () => reviewerAgreement(db) },
      { name: 'AI usage per workflow and day', run: () => aiUsage(db) },
    ];
    const results: { name: string; p50: number; p95: number; max: number }[] = [];
    for (const c of cases) {
      await c.run();
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await c.run();
        times.push(performance.now() - t0);
      }
      times.sort((x, y) => x - y);
      const r = {
        name: c.name,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        max: times.at(-1) as number,
      };
      results.push(r);
      console.log(
        `${r.name.padEnd(36)} p50 ${r.p50.toFixed(1).padStart(7)} ms  p95 ${r.p95.toFixed(1).padStart(7)} ms`,
      );
    }
    const row = counts.rows[0] as Record<string, string>;
    const report = [
      `# Dashboards (pnpm bench:dashboards)`,
      '',
      `${new Date().toISOString()} · ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB · Node ${process.version}`,
      `Seeded in ${seedSeconds.toFixed(0)} s: ${row.decisions} decisions over 365 days (${row.decisions_30d} in the last 30), ${row.items} items, ${row.state_runs} state runs, ${row.review_tasks} review tasks, ${row.labels} labels; database ${row.size}.`,
      `Each query: 1 warm-up, then ${RUNS} runs, defaults (the last 30 days); p95 by nearest rank.`,
      '',
      '| query | p50 ms | p95 ms | max ms | ≤ 200 ms |',
      '| --- | ---: | ---: | ---: | :---: |',
      ...results.map(
        (r) =>
          `| ${r.name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} | ${r.p95 <= 200 ? 'yes' : 'no'} |`,
      ),
      '',
    ].join('\n');
    const out = fileURLToPath(new URL('../results/', import.meta.url));
    mkdirSync(out, { recursive: true });
    writeFileSync(`${out}dashboards.md`, report);
    console.log(report);
  } finally {
    await db.destroy();
    if (values.keep || values.reuse) console.log(`kept database ${database}`);
    else await dropDatabase(adminUrl, database);
  }
}

await main();
