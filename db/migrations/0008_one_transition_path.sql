-- One transition path (packages/engine/src/transitions.ts).

-- A stuck-item task per visit was unique with every other kind, so an item that got stuck again at
-- the same visit (after an operator's retry) could never get a second one: the sweep skipped it
-- silently. Decision, review and QA tasks stay unique per visit; a stuck item has at most one open
-- stuck task.
ALTER TABLE review_tasks DROP CONSTRAINT review_tasks_item_state_visit_kind_key;
CREATE UNIQUE INDEX review_tasks_visit_kind_key ON review_tasks(item_id, state, visit, kind) WHERE kind <> 'stuck';
CREATE UNIQUE INDEX review_tasks_open_stuck_key ON review_tasks(item_id) WHERE kind = 'stuck' AND status <> 'done';
