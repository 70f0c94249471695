-- Durable engine: per-state retries, parallel branches, waits for events and timers, escalation.

-- The attempt of the current state visit; a job for an older attempt is stale.
ALTER TABLE items ADD COLUMN attempt integer NOT NULL DEFAULT 1;
CREATE INDEX items_stuck_idx ON items(updated_at) WHERE status = 'running';

-- One row per branch of a parallel state visit.
CREATE TABLE branch_runs (
  item_id      uuid NOT NULL REFERENCES items(id),
  state        text NOT NULL,
  visit        integer NOT NULL,
  branch       text NOT NULL,
  status       text NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  attempt      integer NOT NULL DEFAULT 1,
  output       jsonb,
  error        jsonb,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  PRIMARY KEY (item_id, state, visit, branch)
);

-- Events delivered from outside (POST /api/v1/events). An event nobody waits for yet is kept and
-- consumed by the first matching wait, so an event that arrives early is not lost.
CREATE TABLE events (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL,
  key          text NOT NULL,
  payload      jsonb NOT NULL DEFAULT 'null'::jsonb,
  dedupe_key   text UNIQUE,
  received_at  timestamptz NOT NULL DEFAULT now(),
  consumed_at  timestamptz
);
CREATE INDEX events_open_idx ON events(name, key, received_at) WHERE consumed_at IS NULL;

-- An item waiting at a `wait` state for an event (with an optional deadline).
CREATE TABLE event_waits (
  item_id      uuid NOT NULL REFERENCES items(id),
  state        text NOT NULL,
  visit        integer NOT NULL,
  event_name   text NOT NULL,
  event_key    text NOT NULL,
  deadline     timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz,
  resolution   text CHECK (resolution IN ('event', 'timeout')),
  event_id     uuid REFERENCES events(id),
  PRIMARY KEY (item_id, state, visit)
);
CREATE INDEX event_waits_open_idx ON event_waits(event_name, event_key) WHERE resolved_at IS NULL;

-- Review tasks: what kind of human work, and where it goes when it is overdue.
ALTER TABLE review_tasks ADD COLUMN kind text NOT NULL DEFAULT 'decision' CHECK (kind IN ('decision', 'review', 'stuck'));
ALTER TABLE review_tasks ADD COLUMN escalate_to text NOT NULL DEFAULT 'escalations';
ALTER TABLE review_tasks ADD COLUMN escalated_at timestamptz;
CREATE INDEX review_tasks_due_idx ON review_tasks(due_at) WHERE status <> 'done' AND escalated_at IS NULL;

-- A stuck-item task can coexist with the decision task of the same state visit.
ALTER TABLE review_tasks DROP CONSTRAINT review_tasks_item_id_state_visit_key;
ALTER TABLE review_tasks ADD CONSTRAINT review_tasks_item_state_visit_kind_key UNIQUE (item_id, state, visit, kind);
