-- The plans of decision search and the items list on bench/search-seed.sql's 200,000 decisions
-- (docs/search.md records what they measured). The statements are what searchDecisions and
-- listItems send, with the filters written in.
\set page 'SELECT d.id, d.created_at, h.human_label, u.email, pv.version FROM decisions d JOIN items i ON i.id = d.item_id LEFT JOIN LATERAL (SELECT l.id, l.human_label, l.reviewer_id, l.adjudicated, l.created_at FROM labels l WHERE l.decision_id = d.id AND l.final ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1) h ON true LEFT JOIN users u ON u.id = h.reviewer_id LEFT JOIN policy_versions pv ON pv.id = d.policy_version_id WHERE '
\set order ' ORDER BY d.created_at DESC, d.id DESC LIMIT 51'
\echo '== 1. no filter, first page'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page true :order;
\echo '== 2. the example: auto-accepted below 0.9 calibrated in November'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page d.created_at >= '2026-11-01' AND d.created_at < '2026-12-01' AND d.route = ANY('{auto,sampled}') AND d.calibrated_confidence < 0.9 :order;
-- searchDecisions looks the reviewer's ids up first and passes them as values.
SELECT id AS reviewer7 FROM users WHERE lower(email) = 'reviewer7@bench.test' \gset
SELECT id AS rare FROM users WHERE lower(email) = 'rare@bench.test' \gset
\echo '== 3. a reviewer with 3,000 verdicts'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page d.id IN (SELECT rl.decision_id FROM labels rl WHERE rl.decision_id IS NOT NULL AND rl.reviewer_id = ANY(ARRAY[:'reviewer7']::uuid[])) :order;
\echo '== 3b. a reviewer with 10 verdicts'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page d.id IN (SELECT rl.decision_id FROM labels rl WHERE rl.decision_id IS NOT NULL AND rl.reviewer_id = ANY(ARRAY[:'rare']::uuid[])) :order;
\echo '== 4. overridden'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page (h.id IS NOT NULL AND h.human_label IS DISTINCT FROM d.label) :order;
\echo '== 5. a workflow, a page deep in the year (cursor at 2026-03-01)'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page d.workflow_name = 'wf2' AND (d.created_at, d.id) < ('2026-03-01T00:00:00.000000Z'::timestamptz, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid) :order;
\echo '== 6. a policy version'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page d.policy_version_id = (SELECT id FROM policy_versions WHERE version = 2) :order;
\echo '== 6b. a policy version no decision was made under'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page d.policy_version_id = '00000000-0000-0000-0000-000000000000' :order;
\echo '== 7. a model version and state, rare: v3 at extract below 0.02'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) :page d.model_version = 'v3' AND d.state = 'extract' AND d.calibrated_confidence < 0.02 :order;
\echo '== 8. the count, capped at 10,001, of the example without the month'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT count(*) FROM (SELECT 1 FROM decisions d JOIN items i ON i.id = d.item_id LEFT JOIN LATERAL (SELECT l.id FROM labels l WHERE l.decision_id = d.id AND l.final LIMIT 1) h ON true WHERE d.route = ANY('{auto,sampled}') AND d.calibrated_confidence < 0.9 LIMIT 10001) m;
\echo '== 9. items list: a workflow and status, first page'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT i.id FROM items i JOIN workflow_versions v ON v.id = i.workflow_version_id WHERE i.workflow_name = 'wf3' AND i.status = 'waiting' ORDER BY i.created_at DESC, i.id DESC LIMIT 101;
\echo '== 10. items list: with an overridden decision'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT i.id FROM items i JOIN workflow_versions v ON v.id = i.workflow_version_id WHERE EXISTS (SELECT 1 FROM decisions d LEFT JOIN LATERAL (SELECT l.id, l.human_label FROM labels l WHERE l.decision_id = d.id AND l.final ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1) h ON true WHERE d.item_id = i.id AND (h.id IS NOT NULL AND h.human_label IS DISTINCT FROM d.label)) ORDER BY i.created_at DESC, i.id DESC LIMIT 101;
