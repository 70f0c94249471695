-- Claim-next (issue 11) orders by priority, due time, age and id, within the user's queues:
-- one index per path, both over open tasks only. With a queue named, the per-queue index is read in
-- claim order; without one (every member queue, or an admin's all), the global one is, and the
-- membership test is an index probe into queue_members per task read.
DROP INDEX review_tasks_claim_idx;
CREATE INDEX review_tasks_claim_idx ON review_tasks(queue, priority DESC, due_at ASC NULLS LAST, created_at, id)
  WHERE status <> 'done';
CREATE INDEX review_tasks_claim_order_idx ON review_tasks(priority DESC, due_at ASC NULLS LAST, created_at, id)
  WHERE status <> 'done';
