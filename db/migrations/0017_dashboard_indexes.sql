-- The dashboards (packages/insights) read windows of history by time: decisions, labels, review
-- tasks, state runs and finished items since a date. `pnpm bench:dashboards` (docs/benchmarks.md)
-- measured them on a year with 1,000,000 decisions.

-- A decision's workflow, so accuracy, automation and cost per workflow need not join every decision
-- of the window to its item. An item's workflow never changes, so the copy cannot go stale; a
-- trigger fills it on insert, and the engine's writer needs no change. Only the dashboards' SQL reads it;
-- it is left out of the kysely types (packages/db/src/schema.ts), whose decision rows the engine writes.
ALTER TABLE decisions ADD COLUMN workflow_name text;
UPDATE decisions d SET workflow_name = i.workflow_name FROM items i WHERE i.id = d.item_id;

CREATE FUNCTION decisions_workflow_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.workflow_name IS NULL THEN
    SELECT i.workflow_name INTO NEW.workflow_name FROM items i WHERE i.id = NEW.item_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER decisions_workflow_name BEFORE INSERT ON decisions
  FOR EACH ROW EXECUTE FUNCTION decisions_workflow_name();
-- The trigger runs before the check: only an insert that bypasses it (triggers disabled) and names
-- no workflow is refused, instead of leaving a decision that per-workflow dashboards would miss.
ALTER TABLE decisions ALTER COLUMN workflow_name SET NOT NULL;

-- Label-based dashboards (confusion matrix, calibration, overrides, agreement) and the decisive
-- label of each decision in accuracy: labels given since a date.
CREATE INDEX labels_created_idx ON labels (created_at);
-- Review volume: tasks created, and completed, per bucket.
CREATE INDEX review_tasks_created_idx ON review_tasks (created_at);
CREATE INDEX review_tasks_completed_idx ON review_tasks (completed_at) WHERE completed_at IS NOT NULL;
-- Throughput: items finished per bucket (set once, when the item finishes).
CREATE INDEX items_finished_idx ON items (finished_at) WHERE finished_at IS NOT NULL;
-- Time per state: runs finished per window.
CREATE INDEX state_runs_finished_idx ON state_runs (finished_at) WHERE status = 'done';
