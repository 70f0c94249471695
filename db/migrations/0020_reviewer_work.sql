-- Reviewer work and access (issue 11): the lead role, queue membership, skips, multi-reviewer
-- tasks (N slots per review point, one reviewer each) and adjudication tasks, scoped API keys.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('reviewer', 'lead', 'compliance', 'data_scientist', 'admin'));

-- Who works which queue. Reviewers and leads claim and read only their queues' tasks (admins all).
-- Changes are audited on the `security` stream.
CREATE TABLE queue_members (
  queue     text NOT NULL,
  user_id   uuid NOT NULL REFERENCES users(id),
  added_by  uuid REFERENCES users(id),
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (queue, user_id)
);
CREATE INDEX queue_members_user_idx ON queue_members(user_id);

-- A reviewer's skip of a task: claim-next does not hand it straight back to them.
CREATE TABLE task_skips (
  task_id     uuid NOT NULL REFERENCES review_tasks(id),
  user_id     uuid NOT NULL REFERENCES users(id),
  skipped_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, user_id)
);

-- Multi-reviewer review points: a visit that needs N independent verdicts has N tasks (slots 1..N),
-- each answered by a different person. `reviewers_required` is N on every slot.
ALTER TABLE review_tasks ADD COLUMN slot integer NOT NULL DEFAULT 1 CHECK (slot >= 1);
ALTER TABLE review_tasks ADD COLUMN reviewers_required integer NOT NULL DEFAULT 1 CHECK (reviewers_required >= 1);
ALTER TABLE review_tasks DROP CONSTRAINT review_tasks_kind_check;
ALTER TABLE review_tasks ADD CONSTRAINT review_tasks_kind_check
  CHECK (kind IN ('decision', 'review', 'stuck', 'qa', 'adjudication'));
DROP INDEX review_tasks_visit_kind_key;
CREATE UNIQUE INDEX review_tasks_visit_kind_key ON review_tasks(item_id, state, visit, kind, slot) WHERE kind <> 'stuck';

-- What an ingestion key may do. Existing keys keep both scopes.
ALTER TABLE api_keys ADD COLUMN scopes jsonb NOT NULL DEFAULT '["items:submit", "events:send"]'::jsonb;
