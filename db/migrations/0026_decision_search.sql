-- Decision search and the items list's pages (docs/search.md): keyset pages in (time DESC, id
-- DESC) order, by workflow, by policy version and by reviewer. Measured with EXPLAIN ANALYZE on
-- 200,000 decisions (bench/search-seed.sql, bench/search-explain.sql).

-- The keyset of every search page: (created_at, id) in one index, so the cursor's row comparison is
-- an index condition. It serves everything decisions_created_idx served (the dashboards' windows).
CREATE INDEX decisions_created_id_idx ON decisions (created_at, id);
DROP INDEX decisions_created_idx;
-- A workflow's decisions, newest first: the filter compliance sets most.
CREATE INDEX decisions_workflow_created_idx ON decisions (workflow_name, created_at, id);
-- Decisions under one policy version (few among many: without it a page scans every decision).
CREATE INDEX decisions_policy_created_idx ON decisions (policy_version_id, created_at, id)
  WHERE policy_version_id IS NOT NULL;
-- The decisions a person gave a verdict on.
CREATE INDEX labels_reviewer_decision_idx ON labels (reviewer_id, decision_id) WHERE decision_id IS NOT NULL;
-- The items list's pages, all of them and per workflow (per status: items_status_idx).
CREATE INDEX items_created_id_idx ON items (created_at, id);
CREATE INDEX items_workflow_created_idx ON items (workflow_name, created_at, id);
