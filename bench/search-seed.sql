-- A realistic volume for decision search's plans (docs/search.md): 200,000 decisions over the
-- year before 2026-12-01 in 4 workflows and 3 states, 70% auto / 25% review / 5% sampled, a final
-- human label on every routed or sampled one (10% overridden) from 20 reviewers, 4 policy
-- versions. Run on a freshly migrated database:
--   psql "$DATABASE_URL" -f bench/search-seed.sql && psql "$DATABASE_URL" -f bench/search-explain.sql
SELECT setseed(0.26);
INSERT INTO users (email, name, role, password_hash)
SELECT 'reviewer' || g || '@bench.test', 'Reviewer ' || g, 'reviewer', 'x' FROM generate_series(1, 20) g;
INSERT INTO workflow_versions (name, version, hash, definition)
SELECT 'wf' || g, 1, md5('wf' || g), '{}' FROM generate_series(1, 4) g;
INSERT INTO policy_versions (workflow_name, state, version, max_error, confidence, audit_rate, status, reason, created_by)
SELECT 'wf1', 'classify', g, 0.05, 0.95, 0.05, 'certified', 'bench', '{}' FROM generate_series(1, 4) g;

CREATE TEMP TABLE spec AS
SELECT g,
       'wf' || (1 + g % 4) AS workflow,
       (ARRAY['classify', 'triage', 'extract'])[1 + g % 3] AS state,
       timestamptz '2026-12-01' - random() * interval '365 days' AS at,
       CASE WHEN r < 0.70 THEN 'auto' WHEN r < 0.95 THEN 'review' ELSE 'sampled' END AS route,
       c AS calibrated,
       least(1, c + (random() - 0.5) * 0.1) AS raw,
       'v' || (1 + g % 5) AS model_version,
       random() < 0.1 AS overridden,
       1 + (g % 20) AS reviewer
  FROM (SELECT g, random() AS r, random() AS c FROM generate_series(1, 200000) g) s;

INSERT INTO items (id, workflow_name, workflow_version_id, input, status, created_at)
SELECT md5('item' || s.g)::uuid, s.workflow, v.id, '{}',
       (ARRAY['succeeded', 'succeeded', 'succeeded', 'waiting', 'rejected'])[1 + s.g % 5], s.at
  FROM spec s JOIN workflow_versions v ON v.name = s.workflow;
INSERT INTO state_runs (id, item_id, state, visit, kind, status, started_at)
SELECT md5('run' || g)::uuid, md5('item' || g)::uuid, state, 1, 'decide', 'done', at FROM spec;
INSERT INTO decisions (id, item_id, state_run_id, state, agent, provider, model, model_version, prompt_version,
                       input_hash, input_text, output, label, confidence, confidence_method, calibrated_confidence,
                       route, latency_ms, policy_version_id, created_at)
SELECT md5('decision' || s.g)::uuid, md5('item' || s.g)::uuid, md5('run' || s.g)::uuid, s.state, 'agent', 'local',
       'local', s.model_version, 'p1', md5(s.g::text), 'text', '{}', 'yes', s.raw, 'posterior', s.calibrated, s.route,
       1, CASE WHEN s.workflow = 'wf1' THEN (SELECT id FROM policy_versions WHERE version = 1 + (s.g / 4) % 4) END, s.at
  FROM spec s;
INSERT INTO review_tasks (id, item_id, state, visit, decision_id, queue, status, labels, instructions, created_at)
SELECT md5('task' || g)::uuid, md5('item' || g)::uuid, state, 1, md5('decision' || g)::uuid, 'q', 'done', '[]', '', at
  FROM spec WHERE route <> 'auto';
INSERT INTO reviews (id, task_id, reviewer_id, verdict, label, created_at)
SELECT md5('review' || s.g)::uuid, md5('task' || s.g)::uuid, u.id,
       CASE WHEN s.overridden THEN 'correct' ELSE 'confirm' END, CASE WHEN s.overridden THEN 'no' ELSE 'yes' END,
       s.at + interval '1 hour'
  FROM spec s JOIN users u ON u.email = 'reviewer' || s.reviewer || '@bench.test' WHERE s.route <> 'auto';
INSERT INTO labels (item_id, state, decision_id, review_id, workflow_name, workflow_version_id, agent, model,
                    model_version, prompt_version, input_text, ai_label, ai_confidence, human_label, is_correction,
                    reviewer_id, created_at)
SELECT md5('item' || s.g)::uuid, s.state, md5('decision' || s.g)::uuid, md5('review' || s.g)::uuid, s.workflow, v.id,
       'agent', 'local', s.model_version, 'p1', 'text', 'yes', s.calibrated, r.label, s.overridden, r.reviewer_id,
       s.at + interval '1 hour'
  FROM spec s JOIN workflow_versions v ON v.name = s.workflow JOIN reviews r ON r.id = md5('review' || s.g)::uuid
 WHERE s.route <> 'auto';
-- A reviewer with 10 verdicts among 60,000: the reviewer filter must not walk every decision for them.
INSERT INTO users (email, name, role, password_hash) VALUES ('rare@bench.test', 'Rare', 'reviewer', 'x');
UPDATE labels SET reviewer_id = (SELECT id FROM users WHERE email = 'rare@bench.test')
 WHERE id IN (SELECT id FROM labels ORDER BY md5(id::text) LIMIT 10);
ANALYZE;
