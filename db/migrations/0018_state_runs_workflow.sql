-- Time per state (packages/insights/src/state-times.ts) read each finished run's workflow from its
-- item: one probe of `items` per run, about 104,000 in the last 30 days of `pnpm bench:dashboards`,
-- p95 383 ms (docs/benchmarks.md). As decisions in 0017: a run's workflow, copied from its item
-- (which never changes workflow), filled by a trigger on insert; the engine's writer names it
-- itself (packages/engine/src/plan-sql.ts), so the trigger's lookup is only a fallback for other
-- writers. Only the dashboards' SQL reads it; it is left out of the kysely types.
ALTER TABLE state_runs ADD COLUMN workflow_name text;
UPDATE state_runs r SET workflow_name = i.workflow_name FROM items i WHERE i.id = r.item_id;

-- 0017's trigger function reads only NEW.item_id and NEW.workflow_name: one function for both
-- tables, named for what it does (the decisions trigger refers to it by oid and keeps working).
-- State runs are the engine's most written rows (one per state of every item): the WHEN clause
-- keeps the function from being called at all when the writer named the workflow.
ALTER FUNCTION decisions_workflow_name() RENAME TO copy_item_workflow_name;
CREATE TRIGGER state_runs_workflow_name BEFORE INSERT ON state_runs
  FOR EACH ROW WHEN (NEW.workflow_name IS NULL) EXECUTE FUNCTION copy_item_workflow_name();
-- As in 0017: only an insert that bypasses the trigger and names no workflow is refused.
ALTER TABLE state_runs ALTER COLUMN workflow_name SET NOT NULL;

-- Time per state reads only the index: the runs finished in a window, with what it groups by and
-- the start it measures from. Replaces 0017's index on finished_at alone.
CREATE INDEX state_runs_finished_covering_idx ON state_runs (finished_at)
  INCLUDE (workflow_name, state, started_at) WHERE status = 'done';
DROP INDEX state_runs_finished_idx;
